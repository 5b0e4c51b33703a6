package kernels

import (
	"math"
	"unsafe"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// This file is the specification. Every implementation reproduces these
// loops bit for bit: the same operations on the same operands in the same
// order, each rounded to the element type. Every product is wrapped in an
// explicit conversion, T(x*y): Go may fuse a multiply with a later add into
// an FMA, even across statements (it does on arm64, ppc64 and s390x), and
// only a conversion forces the product to be rounded first, as the assembly
// rounds it. TestReferencePortable in package fuzz checks the reference
// gives the same bits on every architecture.

func init() {
	ref32.SGD, ref64.SGD = sgdRef[float32], sgdRef[float64]
	ref32.Momentum, ref64.Momentum = momentumRef[float32], momentumRef[float64]
	ref32.Adam, ref64.Adam = adamRef[float32], adamRef[float64]
	ref32.AMSGrad, ref64.AMSGrad = amsgradRef[float32], amsgradRef[float64]
	ref32.Axpy, ref64.Axpy = axpyRef[float32], axpyRef[float64]
	ref32.Scale, ref64.Scale = scaleRef[float32], scaleRef[float64]
	ref32.SumSquares, ref64.SumSquares = sumSquaresRef[float32], sumSquaresRef[float64]
	ref32.Dot, ref64.Dot = dotRef[float32], dotRef[float64]
}

// sqrtT is the correctly rounded square root in T. For float32 the float64
// square root rounded to float32 is correctly rounded (53 ≥ 2·24+2), and the
// compiler emits SQRTSS for it.
func sqrtT[T Float](x T) T { return T(math.Sqrt(float64(x))) }

// sgdRef: for each i
//
//	g := grad[i]·c[GradScale]
//	if flags&FlagL2 != 0 { g = g + c[L2]·p[i] }
//	p[i] = p[i] − c[LR]·g
func sgdRef[T Float](p, grad []T, c [asm.SGDN]T, flags uint64) {
	gs, wd, lr := c[asm.SGDGradScale], c[asm.SGDL2], c[asm.SGDLR]
	l2 := flags&asm.FlagL2 != 0
	grad = grad[:len(p)]
	for i := range p {
		g := T(grad[i] * gs)
		if l2 {
			g += T(wd * p[i])
		}
		p[i] -= T(lr * g)
	}
}

// momentumRef: for each i
//
//	g := grad[i]·c[GradScale]
//	if flags&FlagL2 != 0 { g = g + c[L2]·p[i] }
//	if flags&FlagFirst != 0 { b[i] = g } else { b[i] = c[Momentum]·b[i] + c[OneMinusDampening]·g }
//	d := b[i]; if flags&FlagNesterov != 0 { d = g + c[Momentum]·b[i] }
//	p[i] = p[i] − c[LR]·d
func momentumRef[T Float](p, grad, buf []T, c [asm.MomentumN]T, flags uint64) {
	gs, wd, lr := c[asm.MomentumGradScale], c[asm.MomentumL2], c[asm.MomentumLR]
	mu, damp := c[asm.MomentumMomentum], c[asm.MomentumOneMinusDampening]
	l2 := flags&asm.FlagL2 != 0
	first := flags&asm.FlagFirst != 0
	nesterov := flags&asm.FlagNesterov != 0
	grad, buf = grad[:len(p)], buf[:len(p)]
	for i := range p {
		g := T(grad[i] * gs)
		if l2 {
			g += T(wd * p[i])
		}
		b := g
		if !first {
			b = T(mu*buf[i]) + T(damp*g)
		}
		buf[i] = b
		d := b
		if nesterov {
			d = g + T(mu*b)
		}
		p[i] -= T(lr * d)
	}
}

// adamRef: for each i
//
//	g := grad[i]·c[GradScale]
//	if flags&FlagL2 != 0 { g = g + c[L2]·p[i] }
//	θ := p[i]·c[Decay]
//	m[i] = m[i] + c[OneMinusBeta1]·(g − m[i])
//	v[i] = c[Beta2]·v[i] + (c[OneMinusBeta2]·g)·g
//	p[i] = θ − c[StepSize]·(m[i] / (sqrt(v[i])·c[InvSqrtBC2] + c[Eps]))
//
// With vmax non-nil it is AMSGrad: the running maximum
//
//	vmax[i] = vmax[i] > v[i] || vmax[i] is NaN ? vmax[i] : v[i]
//
// takes v[i]'s place in the denominator: NaN if either is NaN, as
// torch.maximum. (Go's built-in max differs from it only when vmax[i] = +0
// and v[i] = −0, which valid hyper-parameters never produce; this form is
// the one every instruction set computes cheaply.)
func adamRef[T Float](p, grad, m, v []T, c [asm.AdamN]T, flags uint64) {
	adamLoop(p, grad, m, v, nil, c, flags)
}

// amsgradRef is adamRef with the running maximum vmax.
func amsgradRef[T Float](p, grad, m, v, vmax []T, c [asm.AdamN]T, flags uint64) {
	adamLoop(p, grad, m, v, vmax, c, flags)
}

// adamLoop is adamRef, and amsgradRef when vmax is not nil.
func adamLoop[T Float](p, grad, m, v, vmax []T, c [asm.AdamN]T, flags uint64) {
	gs, wd, decay := c[asm.AdamGradScale], c[asm.AdamL2], c[asm.AdamDecay]
	b1c, b2, b2c := c[asm.AdamOneMinusBeta1], c[asm.AdamBeta2], c[asm.AdamOneMinusBeta2]
	rbc2, eps, step := c[asm.AdamInvSqrtBC2], c[asm.AdamEps], c[asm.AdamStepSize]
	l2 := flags&asm.FlagL2 != 0
	ams := vmax != nil
	grad, m, v = grad[:len(p)], m[:len(p)], v[:len(p)]
	if ams {
		vmax = vmax[:len(p)]
	}
	for i := range p {
		g := T(grad[i] * gs)
		if l2 {
			g += T(wd * p[i])
		}
		theta := T(p[i] * decay)
		mi := m[i] + T(b1c*(g-m[i]))
		vi := T(b2*v[i]) + T(T(b2c*g)*g)
		m[i], v[i] = mi, vi
		if ams {
			if vm := vmax[i]; vm > vi || vm != vm {
				vi = vm
			}
			vmax[i] = vi
		}
		den := T(sqrtT(vi)*rbc2) + eps
		p[i] = theta - T(step*(mi/den))
	}
}

// Reductions use one canonical order. The elements of each full block of P
// (32 for a float32 accumulator, 16 for a float64 one) are added into P
// partial sums, s[k] += term(x[j·P+k]), starting from +0; the partial sums
// are combined by halving (for w := P/2; w ≥ 1; w /= 2 { s[k] += s[k+w] for
// k < w }); the elements of the last, partial block are then added to s[0]
// one at a time in index order.

// combine folds partial sums by halving and returns s[0].
func combine[A Float](s []A) A {
	for w := len(s) / 2; w >= 1; w /= 2 {
		for k := 0; k < w; k++ {
			s[k] += s[k+w]
		}
	}
	return s[0]
}

// sumSquaresRef32 returns Σ float64(x[i])², exact products summed in
// float64 in the canonical order with P = 16, and whether every x[i] is
// finite. (A float32 square cannot overflow a float64, and no float64 sum of
// fewer than 2^900 of them can, so the sum is finite exactly when every
// element is.)
func sumSquaresRef32(x []float32) (float64, bool) {
	const P = 16
	var s [P]float64
	n := len(x) / P * P
	for j := 0; j < n; j += P {
		for k := range P {
			s[k] += float64(float64(x[j+k]) * float64(x[j+k]))
		}
	}
	sum := combine(s[:])
	for _, xi := range x[n:] {
		sum += float64(float64(xi) * float64(xi))
	}
	return sum, !math.IsNaN(sum) && !math.IsInf(sum, 0)
}

// sumSquaresRef64 returns Σ x[i]² in the canonical order with P = 16, and
// whether every x[i] is finite (tracked separately, since finite squares
// can overflow).
func sumSquaresRef64(x []float64) (float64, bool) {
	const P = 16
	var s [P]float64
	finite := true
	n := len(x) / P * P
	for j := 0; j < n; j += P {
		for k := range P {
			s[k] += float64(x[j+k] * x[j+k])
		}
	}
	sum := combine(s[:])
	for _, xi := range x[n:] {
		sum += float64(xi * xi)
	}
	for _, xi := range x {
		if math.IsNaN(xi) || math.IsInf(xi, 0) {
			finite = false
			break
		}
	}
	return sum, finite
}

// sumSquaresRef is sumSquaresRef32 or sumSquaresRef64.
func sumSquaresRef[T Float](x []T) (float64, bool) {
	if is32[T]() {
		return sumSquaresRef32(unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x))), len(x)))
	}
	return sumSquaresRef64(unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(x))), len(x)))
}

// dotRef returns Σ x[i]·y[i] in T, in the canonical order with P = 32 for
// float32 and 16 for float64.
func dotRef[T Float](x, y []T) T {
	var s [32]T
	var zero T
	P := 128 / int(unsafe.Sizeof(zero))
	y = y[:len(x)]
	n := len(x) / P * P
	for j := 0; j < n; j += P {
		for k := 0; k < P; k++ {
			s[k] += T(x[j+k] * y[j+k])
		}
	}
	sum := combine(s[:P])
	for i := n; i < len(x); i++ {
		sum += T(x[i] * y[i])
	}
	return sum
}

// axpyRef: y[i] = y[i] + c[A]·x[i] (product rounded before the add).
func axpyRef[T Float](y, x []T, c [asm.AxpyN]T, _ uint64) {
	a := c[asm.AxpyA]
	x = x[:len(y)]
	for i := range y {
		y[i] += T(a * x[i])
	}
}

// scaleRef: x[i] = x[i]·c[A].
func scaleRef[T Float](x []T, c [asm.ScaleN]T, _ uint64) {
	a := c[asm.ScaleA]
	for i := range x {
		x[i] *= a
	}
}
