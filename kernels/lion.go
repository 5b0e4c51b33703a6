package kernels

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// Lion holds the hyper-parameters of Lion (Chen et al. 2023, "Symbolic
// Discovery of Optimization Algorithms"), with Optax's and lion-pytorch's
// meaning. The zero value is not valid; start from DefaultLion.
type Lion struct {
	LR          float64 // learning rate, ≥ 0 (typically 3–10× smaller than AdamW's)
	Beta1       float64 // interpolation of the update direction, in [0, 1]
	Beta2       float64 // momentum decay, in [0, 1]
	WeightDecay float64 // λ ≥ 0: θ ← θ − lr·(sign(c) + λ·θ)
	Maximize    bool    // ascend instead of descend
}

// DefaultLion returns lion-pytorch's defaults: lr 1e-4, betas (0.9, 0.99),
// no weight decay.
func DefaultLion() Lion { return Lion{LR: 1e-4, Beta1: 0.9, Beta2: 0.99} }

// Validate reports the first hyper-parameter outside its range.
func (h Lion) Validate() error {
	switch {
	case !(h.LR >= 0) || math.IsInf(h.LR, 1):
		return fmt.Errorf("kernels: Lion: learning rate %v must be finite and ≥ 0", h.LR)
	case !(h.Beta1 >= 0 && h.Beta1 <= 1):
		return fmt.Errorf("kernels: Lion: beta1 %v must be in [0, 1]", h.Beta1)
	case !(h.Beta2 >= 0 && h.Beta2 <= 1):
		return fmt.Errorf("kernels: Lion: beta2 %v must be in [0, 1]", h.Beta2)
	case !(h.WeightDecay >= 0) || math.IsInf(h.WeightDecay, 1):
		return fmt.Errorf("kernels: Lion: weight decay %v must be finite and ≥ 0", h.WeightDecay)
	}
	return nil
}

// LionScalars are the scalars of one Lion step; see AdamScalars.
type LionScalars struct {
	GradScale     float64 // g ← grad·GradScale; negative when maximizing
	Beta1         float64 // β1
	OneMinusBeta1 float64 // 1 − β1
	Beta2         float64 // β2
	OneMinusBeta2 float64 // 1 − β2
	WeightDecay   float64 // λ
	LR            float64 // lr
}

// Scalars returns the scalars of a Lion step for a gradient multiplied by
// gradScale (1 for none).
func (h Lion) Scalars(gradScale float64) LionScalars {
	s := LionScalars{GradScale: gradScale, Beta1: h.Beta1, OneMinusBeta1: 1 - h.Beta1,
		Beta2: h.Beta2, OneMinusBeta2: 1 - h.Beta2, WeightDecay: h.WeightDecay, LR: h.LR}
	if h.Maximize {
		s.GradScale = -gradScale
	}
	return s
}

// LionStep does one Lion step on p with gradient g and momentum m:
//
//	for i := range p {
//		g := g[i]·GradScale
//		u := sign(Beta1·m[i] + OneMinusBeta1·g)    // sign(±0) = +0, sign(NaN) = NaN
//		if WeightDecay != 0 { u = u + WeightDecay·p[i] }
//		p[i] = p[i] − LR·u
//		m[i] = Beta2·m[i] + OneMinusBeta2·g
//	}
//
// with s's scalars rounded once to T. It panics if the lengths differ.
func LionStep[T Float](p, g, m []T, s *LionScalars) {
	checkLens[T]("LionStep", "p, g, m", len(p), len(g), len(m))
	c, f := lionCoeffs[T](s)
	table[T]().Lion(p, g, m, c, f)
}

func lionCoeffs[T Float](s *LionScalars) (c [asm.LionN]T, flags uint64) {
	c[asm.LionGradScale], c[asm.LionBeta1], c[asm.LionOneMinusBeta1] = T(s.GradScale), T(s.Beta1), T(s.OneMinusBeta1)
	c[asm.LionBeta2], c[asm.LionOneMinusBeta2] = T(s.Beta2), T(s.OneMinusBeta2)
	c[asm.LionWeightDecay], c[asm.LionLR] = T(s.WeightDecay), T(s.LR)
	return c, l2Flag(c[asm.LionWeightDecay])
}

func init() { ref32.Lion, ref64.Lion = lionRef[float32], lionRef[float64] }

// signT returns +1, −1 or +0 by the sign of x, and x itself when it is NaN.
func signT[T Float](x T) T {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	case x == 0:
		return 0
	}
	return x
}

// lionRef: for each i
//
//	g := grad[i]·c[GradScale]
//	u := sign(c[Beta1]·m[i] + c[OneMinusBeta1]·g)
//	if flags&FlagL2 != 0 { u = u + c[WeightDecay]·p[i] }
//	p[i] = p[i] − c[LR]·u
//	m[i] = c[Beta2]·m[i] + c[OneMinusBeta2]·g
func lionRef[T Float](p, grad, m []T, c [asm.LionN]T, flags uint64) {
	l2 := flags&asm.FlagL2 != 0
	grad, m = grad[:len(p)], m[:len(p)]
	for i := range p {
		g := T(grad[i] * c[asm.LionGradScale])
		u := signT(T(c[asm.LionBeta1]*m[i]) + T(c[asm.LionOneMinusBeta1]*g))
		if l2 {
			u += T(c[asm.LionWeightDecay] * p[i])
		}
		p[i] -= T(c[asm.LionLR] * u)
		m[i] = T(c[asm.LionBeta2]*m[i]) + T(c[asm.LionOneMinusBeta2]*g)
	}
}
