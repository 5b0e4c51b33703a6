package kernels

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// Adagrad holds the hyper-parameters of torch.optim.Adagrad (PyTorch 1.13).
// The zero value is not valid; start from DefaultAdagrad.
type Adagrad struct {
	LR                      float64 // learning rate, ≥ 0
	LRDecay                 float64 // the rate at step t is LR/(1 + (t−1)·LRDecay), ≥ 0
	WeightDecay             float64 // L2 penalty λ ≥ 0: g ← g + λ·θ
	InitialAccumulatorValue float64 // starting value of the sum of squares, ≥ 0 (the optimizer sets it)
	Eps                     float64 // added to the denominator, > 0
	Maximize                bool
}

// DefaultAdagrad returns torch.optim.Adagrad's defaults: lr 1e-2, eps 1e-10.
func DefaultAdagrad() Adagrad { return Adagrad{LR: 1e-2, Eps: 1e-10} }

// Validate reports the first hyper-parameter outside its range.
func (h Adagrad) Validate() error {
	switch {
	case !(h.LR >= 0) || math.IsInf(h.LR, 1):
		return fmt.Errorf("kernels: Adagrad: learning rate %v must be finite and ≥ 0", h.LR)
	case !(h.LRDecay >= 0) || math.IsInf(h.LRDecay, 1):
		return fmt.Errorf("kernels: Adagrad: lr decay %v must be finite and ≥ 0", h.LRDecay)
	case !(h.WeightDecay >= 0) || math.IsInf(h.WeightDecay, 1):
		return fmt.Errorf("kernels: Adagrad: weight decay %v must be finite and ≥ 0", h.WeightDecay)
	case !(h.InitialAccumulatorValue >= 0) || math.IsInf(h.InitialAccumulatorValue, 1):
		return fmt.Errorf("kernels: Adagrad: initial accumulator value %v must be finite and ≥ 0", h.InitialAccumulatorValue)
	case !(h.Eps > 0) || math.IsInf(h.Eps, 1):
		return fmt.Errorf("kernels: Adagrad: eps %v must be finite and > 0", h.Eps)
	}
	return nil
}

// AdagradScalars are the scalars of one Adagrad step; see AdamScalars.
type AdagradScalars struct {
	GradScale float64 // g ← grad·GradScale; negative when maximizing
	L2        float64 // g ← g + L2·θ when L2 ≠ 0
	StepSize  float64 // lr/(1 + (t−1)·lr_decay)
	Eps       float64 // ε
}

// Scalars returns the scalars of step t (t ≥ 1, as in PyTorch) for a
// gradient multiplied by gradScale (1 for none). It panics if t < 1.
func (h Adagrad) Scalars(t int, gradScale float64) AdagradScalars {
	if t < 1 {
		panic(fmt.Sprintf("kernels: Adagrad.Scalars: step %d < 1", t))
	}
	s := AdagradScalars{GradScale: gradScale, L2: h.WeightDecay, Eps: h.Eps,
		StepSize: h.LR / (1 + float64(float64(t-1)*h.LRDecay))}
	if h.Maximize {
		s.GradScale = -gradScale
	}
	return s
}

// AdagradStep does one Adagrad step on p with gradient g and sum of
// squares sum:
//
//	for i := range p {
//		g := g[i]·GradScale
//		if L2 != 0 { g = g + L2·p[i] }
//		sum[i] = sum[i] + g·g
//		p[i] = p[i] − (StepSize·g) / (sqrt(sum[i]) + Eps)
//	}
//
// with s's scalars rounded once to T. It panics if the lengths differ.
func AdagradStep[T Float](p, g, sum []T, s *AdagradScalars) {
	checkLens[T]("AdagradStep", "p, g, sum", len(p), len(g), len(sum))
	c, f := adagradCoeffs[T](s)
	table[T]().Adagrad(p, g, sum, c, f)
}

func adagradCoeffs[T Float](s *AdagradScalars) (c [asm.AdagradN]T, flags uint64) {
	c[asm.AdagradGradScale], c[asm.AdagradL2] = T(s.GradScale), T(s.L2)
	c[asm.AdagradStepSize], c[asm.AdagradEps] = T(s.StepSize), T(s.Eps)
	return c, l2Flag(c[asm.AdagradL2])
}

func init() { ref32.Adagrad, ref64.Adagrad = adagradRef[float32], adagradRef[float64] }

// adagradRef: for each i
//
//	g := grad[i]·c[GradScale]
//	if flags&FlagL2 != 0 { g = g + c[L2]·p[i] }
//	s[i] = s[i] + g·g
//	p[i] = p[i] − (c[StepSize]·g) / (sqrt(s[i]) + c[Eps])
func adagradRef[T Float](p, grad, sum []T, c [asm.AdagradN]T, flags uint64) {
	l2 := flags&asm.FlagL2 != 0
	grad, sum = grad[:len(p)], sum[:len(p)]
	for i := range p {
		g := T(grad[i] * c[asm.AdagradGradScale])
		if l2 {
			g += T(c[asm.AdagradL2] * p[i])
		}
		s := sum[i] + T(g*g)
		sum[i] = s
		p[i] -= T(c[asm.AdagradStepSize]*g) / (sqrtT(s) + c[asm.AdagradEps])
	}
}
