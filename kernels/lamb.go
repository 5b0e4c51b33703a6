package kernels

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// LAMB holds the hyper-parameters of LAMB (You et al. 2020, "Large Batch
// Optimization for Deep Learning") with Optax's meaning (optax.lamb): the
// Adam direction plus decoupled weight decay, scaled per tensor by the
// trust ratio ‖θ‖/‖u‖ (φ the identity). The zero value is not valid; start
// from DefaultLAMB.
type LAMB struct {
	LR          float64 // learning rate, ≥ 0
	Beta1       float64 // first-moment decay, in [0, 1)
	Beta2       float64 // second-moment decay, in [0, 1)
	Eps         float64 // added to the denominator, > 0
	WeightDecay float64 // λ ≥ 0: u ← u + λ·θ before the trust ratio
}

// DefaultLAMB returns optax.lamb's defaults (b1 0.9, b2 0.999, eps 1e-6,
// no weight decay) with lr 1e-3 (Optax has no default rate).
func DefaultLAMB() LAMB { return LAMB{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-6} }

// Validate reports the first hyper-parameter outside its range.
func (h LAMB) Validate() error {
	switch {
	case !(h.LR >= 0) || math.IsInf(h.LR, 1):
		return fmt.Errorf("kernels: LAMB: learning rate %v must be finite and ≥ 0", h.LR)
	case !(h.Beta1 >= 0 && h.Beta1 < 1):
		return fmt.Errorf("kernels: LAMB: beta1 %v must be in [0, 1)", h.Beta1)
	case !(h.Beta2 >= 0 && h.Beta2 < 1):
		return fmt.Errorf("kernels: LAMB: beta2 %v must be in [0, 1)", h.Beta2)
	case !(h.Eps > 0) || math.IsInf(h.Eps, 1):
		return fmt.Errorf("kernels: LAMB: eps %v must be finite and > 0", h.Eps)
	case !(h.WeightDecay >= 0) || math.IsInf(h.WeightDecay, 1):
		return fmt.Errorf("kernels: LAMB: weight decay %v must be finite and ≥ 0", h.WeightDecay)
	}
	return nil
}

// LAMBScalars are the scalars of one LAMB step, computed once in float64.
type LAMBScalars struct {
	GradScale     float64 // g ← grad·GradScale
	OneMinusBeta1 float64 // 1 − β1
	Beta2         float64 // β2
	OneMinusBeta2 float64 // 1 − β2
	InvBC1        float64 // 1/(1 − β1^t)
	InvSqrtBC2    float64 // 1/sqrt(1 − β2^t)
	Eps           float64 // ε
	WeightDecay   float64 // λ
	LR            float64 // lr
}

// Scalars returns the scalars of step t (t ≥ 1) for a gradient multiplied
// by gradScale. It panics if t < 1.
func (h LAMB) Scalars(t int, gradScale float64) LAMBScalars {
	if t < 1 {
		panic(fmt.Sprintf("kernels: LAMB.Scalars: step %d < 1", t))
	}
	return LAMBScalars{GradScale: gradScale, OneMinusBeta1: 1 - h.Beta1, Beta2: h.Beta2, OneMinusBeta2: 1 - h.Beta2,
		InvBC1: 1 / oneMinusPow(h.Beta1, t), InvSqrtBC2: 1 / math.Sqrt(oneMinusPow(h.Beta2, t)),
		Eps: h.Eps, WeightDecay: h.WeightDecay, LR: h.LR}
}

// LAMBDirection updates the moments and writes the direction u that the
// trust ratio scales:
//
//	for i := range p {
//		g := g[i]·GradScale
//		m[i] = m[i] + OneMinusBeta1·(g − m[i])
//		v[i] = Beta2·v[i] + (OneMinusBeta2·g)·g
//		u[i] = (m[i]·InvBC1) / (sqrt(v[i])·InvSqrtBC2 + Eps)
//		if WeightDecay != 0 { u[i] = u[i] + WeightDecay·p[i] }
//	}
//
// with s's scalars rounded once to T, every operation rounded to T. p is
// only read. It panics if the lengths differ.
func LAMBDirection[T Float](p, g, m, v, u []T, s *LAMBScalars) {
	checkLens[T]("LAMBDirection", "p, g, m, v, u", len(p), len(g), len(m), len(v), len(u))
	var c [asm.LAMBN]T
	c[asm.LAMBGradScale], c[asm.LAMBOneMinusBeta1] = T(s.GradScale), T(s.OneMinusBeta1)
	c[asm.LAMBBeta2], c[asm.LAMBOneMinusBeta2] = T(s.Beta2), T(s.OneMinusBeta2)
	c[asm.LAMBInvBC1], c[asm.LAMBInvSqrtBC2], c[asm.LAMBEps] = T(s.InvBC1), T(s.InvSqrtBC2), T(s.Eps)
	c[asm.LAMBWeightDecay] = T(s.WeightDecay)
	table[T]().LAMB(p, g, m, v, u, c, l2Flag(c[asm.LAMBWeightDecay]))
}

// TrustRatio returns LAMB's trust ratio from the squared norms of the
// parameters and of the direction: sqrt(pp)/sqrt(uu), in float64, and 1
// when either norm is zero (Optax's convention; φ is the identity, no
// clamp). A NaN or infinite norm gives NaN or 0 and propagates.
func TrustRatio(pp, uu float64) float64 {
	if pp == 0 || uu == 0 {
		return 1
	}
	return math.Sqrt(pp) / math.Sqrt(uu)
}

// LAMBStep does one LAMB step on one tensor p (the trust ratio is per
// tensor) with gradient g, moments m and v and scratch u (overwritten):
// LAMBDirection, then the squared norms ‖p‖² and ‖u‖² by SumSquares (the
// canonical order: the same bits on every implementation), then
//
//	p[i] = p[i] + A·u[i]      // A = −lr·TrustRatio(‖p‖², ‖u‖²), rounded once to T
//
// (Axpy). It returns the trust ratio. It panics if the lengths differ.
func LAMBStep[T Float](p, g, m, v, u []T, s *LAMBScalars) float64 {
	LAMBDirection(p, g, m, v, u, s)
	r := LAMBRatio(p, u)
	Axpy(T(-float64(s.LR*r)), u, p)
	return r
}

// LAMBRatio returns the trust ratio of parameters p and direction u:
// TrustRatio of their SumSquares.
func LAMBRatio[T Float](p, u []T) float64 {
	pp, _ := SumSquares(p)
	uu, _ := SumSquares(u)
	return TrustRatio(pp, uu)
}

func init() { ref32.LAMB, ref64.LAMB = lambRef[float32], lambRef[float64] }

// lambRef: for each i
//
//	g := grad[i]·c[GradScale]
//	m[i] = m[i] + c[OneMinusBeta1]·(g − m[i])
//	v[i] = c[Beta2]·v[i] + (c[OneMinusBeta2]·g)·g
//	u[i] = (m[i]·c[InvBC1]) / (sqrt(v[i])·c[InvSqrtBC2] + c[Eps])
//	if flags&FlagL2 != 0 { u[i] = u[i] + c[WeightDecay]·p[i] }
func lambRef[T Float](p, grad, m, v, u []T, c [asm.LAMBN]T, flags uint64) {
	l2 := flags&asm.FlagL2 != 0
	grad, m, v, u = grad[:len(p)], m[:len(p)], v[:len(p)], u[:len(p)]
	for i := range p {
		g := T(grad[i] * c[asm.LAMBGradScale])
		mi := m[i] + T(c[asm.LAMBOneMinusBeta1]*(g-m[i]))
		m[i] = mi
		vi := T(c[asm.LAMBBeta2]*v[i]) + T(T(c[asm.LAMBOneMinusBeta2]*g)*g)
		v[i] = vi
		d := T(sqrtT(vi)*c[asm.LAMBInvSqrtBC2]) + c[asm.LAMBEps]
		x := T(mi*c[asm.LAMBInvBC1]) / d
		if l2 {
			x += T(c[asm.LAMBWeightDecay] * p[i])
		}
		u[i] = x
	}
}
