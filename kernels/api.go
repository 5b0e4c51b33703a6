package kernels

import (
	"unsafe"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// Float is the element type of every kernel.
type Float interface{ float32 | float64 }

func is32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// fname is a kernel's name with its element type, for panic messages.
func fname[T Float](kernel string) string {
	if is32[T]() {
		return kernel + "[float32]"
	}
	return kernel + "[float64]"
}

// SGDStep does one step of gradient descent on p with gradient g:
//
//	for i := range p {
//		g := g[i]·GradScale
//		if L2 != 0 { g = g + L2·p[i] }
//		p[i] = p[i] − LR·g
//	}
//
// with s's scalars rounded once to T. It panics if the lengths differ.
func SGDStep[T Float](p, g []T, s *SGDScalars) {
	checkLens[T]("SGDStep", "p, g", len(p), len(g))
	c, f := sgdCoeffs[T](s)
	table[T]().SGD(p, g, c, f)
}

func sgdCoeffs[T Float](s *SGDScalars) (c [asm.SGDN]T, flags uint64) {
	c[asm.SGDGradScale], c[asm.SGDL2], c[asm.SGDLR] = T(s.GradScale), T(s.L2), T(s.LR)
	return c, sgdFlags(c[asm.SGDL2], c[asm.SGDGradScale], false, false)
}

// MomentumStep does one step of SGD with momentum (heavy-ball, or Nesterov
// when s.Nesterov) on p with gradient g and momentum buffer buf:
//
//	for i := range p {
//		g := g[i]·GradScale
//		if L2 != 0 { g = g + L2·p[i] }
//		if first { buf[i] = g } else { buf[i] = Momentum·buf[i] + OneMinusDampening·g }
//		d := buf[i]; if Nesterov { d = g + Momentum·buf[i] }
//		p[i] = p[i] − LR·d
//	}
//
// first is true on the first step, when PyTorch's buffer takes the gradient
// itself (buf's old contents are not read). It panics if the lengths differ.
func MomentumStep[T Float](p, g, buf []T, s *SGDScalars, first bool) {
	checkLens[T]("MomentumStep", "p, g, buf", len(p), len(g), len(buf))
	c, f := momentumCoeffs[T](s, first)
	table[T]().Momentum(p, g, buf, c, f)
}

func momentumCoeffs[T Float](s *SGDScalars, first bool) (c [asm.MomentumN]T, flags uint64) {
	c[asm.MomentumGradScale], c[asm.MomentumL2], c[asm.MomentumLR] = T(s.GradScale), T(s.L2), T(s.LR)
	c[asm.MomentumMomentum], c[asm.MomentumOneMinusDampening] = T(s.Momentum), T(s.OneMinusDampening)
	return c, sgdFlags(c[asm.MomentumL2], c[asm.MomentumGradScale], s.Nesterov, first)
}

// sgdFlags returns the variant flags of the SGD and momentum kernels.
// UnitScale says the gradient scale is exactly 1, so the assembly may skip
// that multiply (x·1 = x for every x); the reference ignores it.
func sgdFlags[T Float](l2, gradScale T, nesterov, first bool) uint64 {
	var f uint64
	if l2 != 0 {
		f |= asm.FlagL2
	}
	if gradScale == 1 {
		f |= asm.FlagUnitScale
	}
	if nesterov {
		f |= asm.FlagNesterov
	}
	if first {
		f |= asm.FlagFirst
	}
	return f
}

// AdamStep does one Adam or AdamW step on p with gradient g, first moment m
// and second moment v:
//
//	for i := range p {
//		g := g[i]·GradScale
//		if L2 != 0 { g = g + L2·p[i] }
//		θ := p[i]·Decay
//		m[i] = m[i] + OneMinusBeta1·(g − m[i])
//		v[i] = Beta2·v[i] + (OneMinusBeta2·g)·g
//		p[i] = θ − StepSize·(m[i] / (sqrt(v[i])·InvSqrtBC2 + Eps))
//	}
//
// with s's scalars rounded once to T; every product and sum is rounded to
// T (no fused multiply-add). It panics if the lengths differ.
func AdamStep[T Float](p, g, m, v []T, s *AdamScalars) {
	checkLens[T]("AdamStep", "p, g, m, v", len(p), len(g), len(m), len(v))
	c := adamCoeffs[T](s)
	table[T]().Adam(p, g, m, v, c, l2Flag(c[asm.AdamL2]))
}

// adamCoeffs rounds the scalars of an Adam step to T, slot by slot.
func adamCoeffs[T Float](s *AdamScalars) (c [asm.AdamN]T) {
	c[asm.AdamGradScale], c[asm.AdamL2], c[asm.AdamDecay] = T(s.GradScale), T(s.L2), T(s.Decay)
	c[asm.AdamOneMinusBeta1], c[asm.AdamBeta2], c[asm.AdamOneMinusBeta2] = T(s.OneMinusBeta1), T(s.Beta2), T(s.OneMinusBeta2)
	c[asm.AdamInvSqrtBC2], c[asm.AdamEps], c[asm.AdamStepSize] = T(s.InvSqrtBC2), T(s.Eps), T(s.StepSize)
	return c
}

// l2Flag returns FlagL2 when the weight-decay coefficient is not zero.
func l2Flag[T Float](l2 T) uint64 {
	if l2 != 0 {
		return asm.FlagL2
	}
	return 0
}

// AMSGradStep is AdamStep with the AMSGrad variant: vmax keeps the running
// maximum of v and takes its place in the denominator:
//
//	vmax[i] = vmax[i] > v[i] || vmax[i] is NaN ? vmax[i] : v[i]
//	p[i] = θ − StepSize·(m[i] / (sqrt(vmax[i])·InvSqrtBC2 + Eps))
//
// (NaN in either propagates, as with torch.maximum.) It panics if the
// lengths differ.
func AMSGradStep[T Float](p, g, m, v, vmax []T, s *AdamScalars) {
	checkLens[T]("AMSGradStep", "p, g, m, v, vmax", len(p), len(g), len(m), len(v), len(vmax))
	c := adamCoeffs[T](s) // AMSGrad's slots are Adam's
	table[T]().AMSGrad(p, g, m, v, vmax, c, l2Flag(c[asm.AdamL2]))
}

// Dot returns Σ x[i]·y[i], summed in T in the canonical order: P partial
// sums s[i mod P] over whole blocks of P elements (P = 32 for float32, 16
// for float64), combined by halving, then the remaining elements added one
// at a time. It panics if the lengths differ.
func Dot[T Float](x, y []T) T {
	checkLens[T]("Dot", "x, y", len(x), len(y))
	return table[T]().Dot(x, y)
}

// Axpy adds a·x to y: y[i] = y[i] + a·x[i], the product rounded before the
// sum. It panics if the lengths differ.
func Axpy[T Float](a T, x, y []T) {
	checkLens[T]("Axpy", "y, x", len(y), len(x))
	table[T]().Axpy(y, x, [asm.AxpyN]T{asm.AxpyA: a}, 0)
}

// Scale multiplies x by a: x[i] = x[i]·a.
func Scale[T Float](a T, x []T) {
	table[T]().Scale(x, [asm.ScaleN]T{asm.ScaleA: a}, 0)
}

// SumSquares returns Σ x[i]², summed in float64 in the canonical order (16
// partial sums s[i mod 16] over whole blocks of 16, combined by halving,
// then the remaining elements added one at a time; for float32 every square
// is exact in float64), and whether every x[i] is finite. It is the one
// pass that global-norm clipping and loss scaling need.
func SumSquares[T Float](x []T) (sum float64, finite bool) {
	return table[T]().SumSquares(x)
}
