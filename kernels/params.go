package kernels

import (
	"fmt"
	"math"
)

// Adam holds the hyper-parameters of Adam, AdamW and AMSGrad with
// PyTorch's meaning. The zero value is not valid; start from DefaultAdam.
type Adam struct {
	LR          float64 // learning rate, ≥ 0
	Beta1       float64 // first-moment decay, in [0, 1)
	Beta2       float64 // second-moment decay, in [0, 1)
	Eps         float64 // added to the denominator, > 0
	WeightDecay float64 // L2 penalty (Adam) or decoupled decay (AdamW), ≥ 0
	Decoupled   bool    // AdamW: θ ← θ·(1 − lr·λ) instead of g ← g + λ·θ
	AMSGrad     bool    // use the running maximum of v (call the AMSGrad kernels)
	Maximize    bool    // ascend instead of descend
}

// DefaultAdam returns torch.optim.Adam's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8.
func DefaultAdam() Adam { return Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8} }

// DefaultAdamW returns torch.optim.AdamW's defaults: Adam's with decoupled weight decay 1e-2.
func DefaultAdamW() Adam {
	h := DefaultAdam()
	h.WeightDecay, h.Decoupled = 1e-2, true
	return h
}

// Validate reports the first hyper-parameter outside its range.
func (h Adam) Validate() error {
	switch {
	case !(h.LR >= 0) || math.IsInf(h.LR, 1):
		return fmt.Errorf("kernels: Adam: learning rate %v must be finite and ≥ 0", h.LR)
	case !(h.Beta1 >= 0 && h.Beta1 < 1):
		return fmt.Errorf("kernels: Adam: beta1 %v must be in [0, 1)", h.Beta1)
	case !(h.Beta2 >= 0 && h.Beta2 < 1):
		return fmt.Errorf("kernels: Adam: beta2 %v must be in [0, 1)", h.Beta2)
	case !(h.Eps > 0) || math.IsInf(h.Eps, 1):
		return fmt.Errorf("kernels: Adam: eps %v must be finite and > 0", h.Eps)
	case !(h.WeightDecay >= 0) || math.IsInf(h.WeightDecay, 1):
		return fmt.Errorf("kernels: Adam: weight decay %v must be finite and ≥ 0", h.WeightDecay)
	}
	return nil
}

// AdamScalars are the scalars of one Adam step, computed once in float64 by
// Adam.Scalars. Every implementation rounds them to the element type the
// same way (once, by the same function), which is half of what makes all
// implementations bit-identical.
type AdamScalars struct {
	GradScale     float64 // g ← grad·GradScale; negative when maximizing
	L2            float64 // g ← g + L2·θ when L2 ≠ 0 (Adam's coupled weight decay)
	Decay         float64 // θ ← θ·Decay (AdamW: 1 − lr·λ; otherwise 1)
	OneMinusBeta1 float64 // 1 − β1
	Beta2         float64 // β2
	OneMinusBeta2 float64 // 1 − β2
	InvSqrtBC2    float64 // 1/sqrt(1 − β2^t)
	Eps           float64 // ε
	StepSize      float64 // lr/(1 − β1^t)
}

// Scalars returns the scalars of step t (t ≥ 1, as in PyTorch) for a
// gradient multiplied by gradScale (1 for none; a loss scaler's 1/scale or a
// clipping coefficient otherwise). It panics if t < 1.
func (h Adam) Scalars(t int, gradScale float64) AdamScalars {
	if t < 1 {
		panic(fmt.Sprintf("kernels: Adam.Scalars: step %d < 1", t))
	}
	s := AdamScalars{
		GradScale:     gradScale,
		Decay:         1,
		OneMinusBeta1: 1 - h.Beta1,
		Beta2:         h.Beta2,
		OneMinusBeta2: 1 - h.Beta2,
		InvSqrtBC2:    1 / math.Sqrt(oneMinusPow(h.Beta2, t)),
		Eps:           h.Eps,
		StepSize:      h.LR / oneMinusPow(h.Beta1, t),
	}
	if h.Maximize {
		s.GradScale = -gradScale
	}
	if h.Decoupled {
		s.Decay = 1 - float64(h.LR*h.WeightDecay) // no FMA: same bits on every CPU
	} else {
		s.L2 = h.WeightDecay
	}
	return s
}

// SGD holds the hyper-parameters of torch.optim.SGD.
type SGD struct {
	LR          float64 // learning rate, ≥ 0
	Momentum    float64 // μ ≥ 0; 0 is plain gradient descent
	Dampening   float64 // τ in [0, 1]
	WeightDecay float64 // L2 penalty λ ≥ 0
	Nesterov    bool    // needs Momentum > 0 and Dampening = 0
	Maximize    bool
}

// Validate reports the first hyper-parameter outside its range.
func (h SGD) Validate() error {
	switch {
	case !(h.LR >= 0) || math.IsInf(h.LR, 1):
		return fmt.Errorf("kernels: SGD: learning rate %v must be finite and ≥ 0", h.LR)
	case !(h.Momentum >= 0) || math.IsInf(h.Momentum, 1):
		return fmt.Errorf("kernels: SGD: momentum %v must be finite and ≥ 0", h.Momentum)
	case !(h.Dampening >= 0 && h.Dampening <= 1):
		return fmt.Errorf("kernels: SGD: dampening %v must be in [0, 1]", h.Dampening)
	case !(h.WeightDecay >= 0) || math.IsInf(h.WeightDecay, 1):
		return fmt.Errorf("kernels: SGD: weight decay %v must be finite and ≥ 0", h.WeightDecay)
	case h.Nesterov && (h.Momentum <= 0 || h.Dampening != 0):
		return fmt.Errorf("kernels: SGD: Nesterov momentum needs momentum > 0 and dampening 0 (have %v, %v)", h.Momentum, h.Dampening)
	}
	return nil
}

// SGDScalars are the scalars of one SGD step; see AdamScalars.
type SGDScalars struct {
	GradScale         float64 // g ← grad·GradScale; negative when maximizing
	L2                float64 // g ← g + L2·θ when L2 ≠ 0
	LR                float64 // θ ← θ − LR·d
	Momentum          float64 // b ← Momentum·b + (1−τ)·g
	OneMinusDampening float64 // 1 − τ
	Nesterov          bool    // d = g + Momentum·b instead of d = b
}

// Scalars returns the scalars of an SGD step for a gradient multiplied by
// gradScale (1 for none).
func (h SGD) Scalars(gradScale float64) SGDScalars {
	s := SGDScalars{
		GradScale:         gradScale,
		L2:                h.WeightDecay,
		LR:                h.LR,
		Momentum:          h.Momentum,
		OneMinusDampening: 1 - h.Dampening,
		Nesterov:          h.Nesterov,
	}
	if h.Maximize {
		s.GradScale = -gradScale
	}
	return s
}

// oneMinusPow returns 1 − b^t for t ≥ 1 the way PyTorch computes it in
// Python, 1 − pow(b, t), where the C library's pow is correctly rounded in
// practice: b^t is computed by repeated squaring in double-double arithmetic
// (products split by Dekker's method, every product rounded explicitly so the
// compiler cannot fuse it into an FMA), rounded once to float64, and
// subtracted from 1. It gives the same bits on every CPU; math.Pow is off by
// up to a few ULPs, which 1 − b^t magnifies about a thousandfold for
// β2 = 0.999 early in training.
func oneMinusPow(b float64, t int) float64 {
	return 1 - powInt(b, t)
}

// powInt returns b^t, t ≥ 0, rounded to float64 from a double-double result.
func powInt(b float64, t int) float64 {
	rh, rl := 1.0, 0.0 // result
	xh, xl := b, 0.0   // b^(2^k)
	for ; t > 0; t >>= 1 {
		if t&1 == 1 {
			rh, rl = ddMul(rh, rl, xh, xl)
		}
		if t > 1 {
			xh, xl = ddMul(xh, xl, xh, xl)
		}
	}
	return rh + rl
}

// ddMul returns the double-double product (xh + xl)·(yh + yl), normalized.
func ddMul(xh, xl, yh, yl float64) (float64, float64) {
	p, e := twoProd(xh, yh)
	e += float64(xh*yl) + float64(xl*yh)
	s := p + e
	return s, e - float64(s-p)
}

// twoProd returns p = fl(a·b) and the exact error e = a·b − p (Dekker), for
// |a|, |b| well inside the float64 range.
func twoProd(a, b float64) (p, e float64) {
	p = float64(a * b)
	ah, al := split(a)
	bh, bl := split(b)
	e = float64(float64(float64(float64(ah*bh)-p)+float64(ah*bl))+float64(al*bh)) + float64(al*bl)
	return p, e
}

// split returns a = hi + lo with hi holding the top 26 bits of a.
func split(a float64) (hi, lo float64) {
	const c = 1<<27 + 1
	t := float64(c * a)
	hi = t - float64(t-a)
	return hi, a - hi
}
