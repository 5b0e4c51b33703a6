package kernels

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// RMSprop holds the hyper-parameters of torch.optim.RMSprop (PyTorch 1.13).
// The zero value is not valid; start from DefaultRMSprop.
type RMSprop struct {
	LR          float64 // learning rate, ≥ 0
	Alpha       float64 // smoothing constant of the squared-gradient average, in [0, 1]
	Eps         float64 // added to the denominator, > 0
	WeightDecay float64 // L2 penalty λ ≥ 0
	Momentum    float64 // μ ≥ 0; 0 keeps no momentum buffer
	Centered    bool    // divide by the estimated variance: keeps the gradient average too
	Maximize    bool
}

// DefaultRMSprop returns torch.optim.RMSprop's defaults: lr 1e-2, alpha
// 0.99, eps 1e-8.
func DefaultRMSprop() RMSprop { return RMSprop{LR: 1e-2, Alpha: 0.99, Eps: 1e-8} }

// Validate reports the first hyper-parameter outside its range.
func (h RMSprop) Validate() error {
	switch {
	case !(h.LR >= 0) || math.IsInf(h.LR, 1):
		return fmt.Errorf("kernels: RMSprop: learning rate %v must be finite and ≥ 0", h.LR)
	case !(h.Alpha >= 0 && h.Alpha <= 1):
		return fmt.Errorf("kernels: RMSprop: alpha %v must be in [0, 1]", h.Alpha)
	case !(h.Eps > 0) || math.IsInf(h.Eps, 1):
		return fmt.Errorf("kernels: RMSprop: eps %v must be finite and > 0", h.Eps)
	case !(h.WeightDecay >= 0) || math.IsInf(h.WeightDecay, 1):
		return fmt.Errorf("kernels: RMSprop: weight decay %v must be finite and ≥ 0", h.WeightDecay)
	case !(h.Momentum >= 0) || math.IsInf(h.Momentum, 1):
		return fmt.Errorf("kernels: RMSprop: momentum %v must be finite and ≥ 0", h.Momentum)
	}
	return nil
}

// RMSpropScalars are the scalars of one RMSprop step; see AdamScalars.
type RMSpropScalars struct {
	GradScale     float64 // g ← grad·GradScale; negative when maximizing
	L2            float64 // g ← g + L2·θ when L2 ≠ 0
	Alpha         float64 // α
	OneMinusAlpha float64 // 1 − α
	Eps           float64 // ε
	Momentum      float64 // μ; the momentum buffer is used when μ ≠ 0
	LR            float64 // lr
	Centered      bool    // the gradient average is kept and used
}

// Scalars returns the scalars of an RMSprop step for a gradient multiplied
// by gradScale (1 for none).
func (h RMSprop) Scalars(gradScale float64) RMSpropScalars {
	s := RMSpropScalars{GradScale: gradScale, L2: h.WeightDecay, Alpha: h.Alpha, OneMinusAlpha: 1 - h.Alpha,
		Eps: h.Eps, Momentum: h.Momentum, LR: h.LR, Centered: h.Centered}
	if h.Maximize {
		s.GradScale = -gradScale
	}
	return s
}

// RMSpropStep does one RMSprop step on p with gradient g, squared-gradient
// average sq, momentum buffer buf (read and written only when Momentum ≠ 0;
// otherwise it may be nil) and gradient average gavg (only when Centered;
// otherwise it may be nil):
//
//	for i := range p {
//		g := g[i]·GradScale
//		if L2 != 0 { g = g + L2·p[i] }
//		sq[i] = Alpha·sq[i] + (OneMinusAlpha·g)·g
//		if Centered {
//			gavg[i] = Alpha·gavg[i] + OneMinusAlpha·g
//			den := sqrt(sq[i] − gavg[i]·gavg[i]) + Eps
//		} else {
//			den := sqrt(sq[i]) + Eps
//		}
//		if Momentum != 0 {
//			buf[i] = Momentum·buf[i] + g/den
//			p[i] = p[i] − LR·buf[i]
//		} else {
//			p[i] = p[i] − (LR·g)/den
//		}
//	}
//
// with s's scalars rounded once to T. It panics if the lengths of the
// slices in use differ.
func RMSpropStep[T Float](p, g, sq, buf, gavg []T, s *RMSpropScalars) {
	c, flags := rmspropCoeffs[T](s)
	lb, la := len(p), len(p)
	if flags&asm.FlagMomentum != 0 {
		lb = len(buf)
	}
	if flags&asm.FlagCentered != 0 {
		la = len(gavg)
	}
	checkLens[T]("RMSpropStep", "p, g, sq, buf, gavg", len(p), len(g), len(sq), lb, la)
	table[T]().RMSprop(p, g, sq, buf, gavg, c, flags)
}

func rmspropCoeffs[T Float](s *RMSpropScalars) (c [asm.RMSpropN]T, flags uint64) {
	c[asm.RMSpropGradScale], c[asm.RMSpropL2], c[asm.RMSpropAlpha] = T(s.GradScale), T(s.L2), T(s.Alpha)
	c[asm.RMSpropOneMinusAlpha], c[asm.RMSpropEps] = T(s.OneMinusAlpha), T(s.Eps)
	c[asm.RMSpropMomentum], c[asm.RMSpropLR] = T(s.Momentum), T(s.LR)
	flags = l2Flag(c[asm.RMSpropL2])
	if c[asm.RMSpropMomentum] != 0 {
		flags |= asm.FlagMomentum
	}
	if s.Centered {
		flags |= asm.FlagCentered
	}
	return c, flags
}

func init() { ref32.RMSprop, ref64.RMSprop = rmspropRef[float32], rmspropRef[float64] }

// rmspropRef: for each i
//
//	g := grad[i]·c[GradScale]
//	if flags&FlagL2 != 0 { g = g + c[L2]·p[i] }
//	sq[i] = c[Alpha]·sq[i] + (c[OneMinusAlpha]·g)·g
//	if flags&FlagCentered != 0 {
//		gavg[i] = c[Alpha]·gavg[i] + c[OneMinusAlpha]·g
//		den := sqrt(sq[i] − gavg[i]·gavg[i]) + c[Eps]
//	} else {
//		den := sqrt(sq[i]) + c[Eps]
//	}
//	if flags&FlagMomentum != 0 {
//		buf[i] = c[Momentum]·buf[i] + g/den
//		p[i] = p[i] − c[LR]·buf[i]
//	} else {
//		p[i] = p[i] − (c[LR]·g)/den
//	}
func rmspropRef[T Float](p, grad, sq, buf, gavg []T, c [asm.RMSpropN]T, flags uint64) {
	l2 := flags&asm.FlagL2 != 0
	centered := flags&asm.FlagCentered != 0
	mom := flags&asm.FlagMomentum != 0
	grad, sq = grad[:len(p)], sq[:len(p)]
	if centered {
		gavg = gavg[:len(p)]
	}
	if mom {
		buf = buf[:len(p)]
	}
	alpha, alphac := c[asm.RMSpropAlpha], c[asm.RMSpropOneMinusAlpha]
	for i := range p {
		g := T(grad[i] * c[asm.RMSpropGradScale])
		if l2 {
			g += T(c[asm.RMSpropL2] * p[i])
		}
		s := T(alpha*sq[i]) + T(T(alphac*g)*g)
		sq[i] = s
		var den T
		if centered {
			a := T(alpha*gavg[i]) + T(alphac*g)
			gavg[i] = a
			den = sqrtT(s-T(a*a)) + c[asm.RMSpropEps]
		} else {
			den = sqrtT(s) + c[asm.RMSpropEps]
		}
		if mom {
			b := T(c[asm.RMSpropMomentum]*buf[i]) + g/den
			buf[i] = b
			p[i] -= T(c[asm.RMSpropLR] * b)
		} else {
			p[i] -= T(c[asm.RMSpropLR]*g) / den
		}
	}
}
