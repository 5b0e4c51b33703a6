package kernels

import "unsafe"

// Float is the element type of every kernel.
type Float interface{ float32 | float64 }

func is32[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// as32 and as64 view a []T as the concrete type it is.
func as32[T Float](x []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
}

func as64[T Float](x []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(x))), len(x))
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
	if is32[T]() {
		sgdF32(as32(p), as32(g), s)
	} else {
		sgdF64(as64(p), as64(g), s)
	}
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
	if is32[T]() {
		momentumF32(as32(p), as32(g), as32(buf), s, first)
	} else {
		momentumF64(as64(p), as64(g), as64(buf), s, first)
	}
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
	if is32[T]() {
		adamF32(as32(p), as32(g), as32(m), as32(v), s)
	} else {
		adamF64(as64(p), as64(g), as64(m), as64(v), s)
	}
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
	if is32[T]() {
		amsGradF32(as32(p), as32(g), as32(m), as32(v), as32(vmax), s)
	} else {
		amsGradF64(as64(p), as64(g), as64(m), as64(v), as64(vmax), s)
	}
}

// Dot returns Σ x[i]·y[i], summed in T in the canonical order: P partial
// sums s[i mod P] over whole blocks of P elements (P = 32 for float32, 16
// for float64), combined by halving, then the remaining elements added one
// at a time. It panics if the lengths differ.
func Dot[T Float](x, y []T) T {
	checkLens[T]("Dot", "x, y", len(x), len(y))
	if is32[T]() {
		r := dotF32(as32(x), as32(y))
		return *(*T)(unsafe.Pointer(&r))
	}
	r := dotF64(as64(x), as64(y))
	return *(*T)(unsafe.Pointer(&r))
}

// Axpy adds a·x to y: y[i] = y[i] + a·x[i], the product rounded before the
// sum. It panics if the lengths differ.
func Axpy[T Float](a T, x, y []T) {
	checkLens[T]("Axpy", "y, x", len(y), len(x))
	if is32[T]() {
		axpyF32(float32(a), as32(x), as32(y))
	} else {
		axpyF64(float64(a), as64(x), as64(y))
	}
}

// Scale multiplies x by a: x[i] = x[i]·a.
func Scale[T Float](a T, x []T) {
	if is32[T]() {
		scaleF32(float32(a), as32(x))
	} else {
		scaleF64(float64(a), as64(x))
	}
}

// SumSquares returns Σ x[i]², summed in float64 in the canonical order (16
// partial sums s[i mod 16] over whole blocks of 16, combined by halving,
// then the remaining elements added one at a time; for float32 every square
// is exact in float64), and whether every x[i] is finite. It is the one
// pass that global-norm clipping and loss scaling need.
func SumSquares[T Float](x []T) (sum float64, finite bool) {
	if is32[T]() {
		return sumSquaresF32(as32(x))
	}
	return sumSquaresF64(as64(x))
}
