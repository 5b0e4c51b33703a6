package fuzz

import (
	"math"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// SGD-family targets. Arguments:
//
//	data    element values (see value), preceded by the raw fields that mode selects
//	n       slice length, mod maxLen+1
//	offs    element offset of each slice within its guarded buffer, 4 bits each (p, g, buf)
//	mode    bit 0 maximize; bit 1 first step (momentum targets); bits 2–6
//	        replace SGDScalars fields (GradScale, L2, LR, Momentum,
//	        OneMinusDampening, in that order) by any float64 read from data
//	lr, momentum, dampening, wd, scale  kernels.SGD's fields and the gradient scale
//
// FuzzSGD* calls SGDF*, FuzzMomentum* MomentumF* with heavy-ball momentum,
// FuzzNesterov* MomentumF* with Nesterov momentum.

const modeFirst = 1 << 1

type sgdVariant int

const (
	plainSGD sgdVariant = iota
	heavyBall
	nesterov
)

func FuzzSGDF32(f *testing.F) {
	fuzzSGD(f, plainSGD, kernels.SGDStep[float32], kernels.MomentumStep[float32])
}
func FuzzSGDF64(f *testing.F) {
	fuzzSGD(f, plainSGD, kernels.SGDStep[float64], kernels.MomentumStep[float64])
}

func FuzzMomentumF32(f *testing.F) {
	fuzzSGD(f, heavyBall, kernels.SGDStep[float32], kernels.MomentumStep[float32])
}
func FuzzMomentumF64(f *testing.F) {
	fuzzSGD(f, heavyBall, kernels.SGDStep[float64], kernels.MomentumStep[float64])
}

func FuzzNesterovF32(f *testing.F) {
	fuzzSGD(f, nesterov, kernels.SGDStep[float32], kernels.MomentumStep[float32])
}
func FuzzNesterovF64(f *testing.F) {
	fuzzSGD(f, nesterov, kernels.SGDStep[float64], kernels.MomentumStep[float64])
}

func fuzzSGD[T float](f *testing.F, variant sgdVariant,
	sgd func(p, g []T, s *kernels.SGDScalars),
	mom func(p, g, buf []T, s *kernels.SGDScalars, first bool)) {
	f.Fuzz(func(t *testing.T, data []byte, n uint16, offs uint32, mode uint16,
		lr, momentum, dampening, wd, scale float64) {
		h := kernels.SGD{LR: lr, Momentum: momentum, Dampening: dampening, WeightDecay: wd,
			Nesterov: variant == nesterov, Maximize: mode&modeMaximize != 0}
		s := h.Scalars(scale)
		first := mode&modeFirst != 0
		size := length(n)
		d := newDecoder(data, size)
		raw := mode >> modeRawShift & (1<<5 - 1)
		fields := []*float64{&s.GradScale, &s.L2, &s.LR, &s.Momentum, &s.OneMinusDampening}
		for i, p := range fields {
			if raw&(1<<i) != 0 {
				*p = rawField(d)
			}
		}
		k := 3
		if variant == plainSGD {
			k = 2
		}
		in := make([][]T, k)
		for j := range in {
			in[j] = values[T](d, size, false)
		}
		if variant == plainSGD {
			out, _ := runAll(t, "SGD", in, offs, func(a [][]T) []float64 {
				sgd(a[0], a[1], &s)
				return nil
			})
			if raw == 0 && h.Validate() == nil && finite(scale) {
				sgdProperties(t, in, out, &s)
			}
			return
		}
		momentum1 := func(a [][]T) []float64 {
			mom(a[0], a[1], a[2], &s, first)
			return nil
		}
		out, _ := runAll(t, "Momentum", in, offs, momentum1)

		// Exact for any input and scalars: the first step does not read
		// the buffer, and its heavy-ball update is SGD's.
		if first {
			in2 := clone(in)
			for i := range in2[2] {
				in2[2][i] = T(math.NaN())
			}
			generic(t, func() { momentum1(in2) })
			for j := range in2 {
				for i := range in2[j] {
					if !same(in2[j][i], out[j][i]) {
						t.Fatalf("Momentum first step read the buffer: argument %d element %d = %v with buffer NaN, %v with buffer %v",
							j, i, in2[j][i], out[j][i], in[2][i])
					}
				}
			}
			if !s.Nesterov {
				p := clone(in[:1])[0]
				generic(t, func() { sgd(p, in[1], &s) })
				for i := range p {
					if !same(p[i], out[0][i]) {
						t.Fatalf("Momentum first heavy-ball step: p[%d] = %v (%#x), SGD gives %v (%#x)",
							i, out[0][i], bitsOf(out[0][i]), p[i], bitsOf(p[i]))
					}
				}
			}
		}
		if raw == 0 && h.Validate() == nil && finite(scale) {
			momentumProperties(t, in, out, &s, first)
		}
	})
}

// sgdProperties checks, for valid hyper-parameters and a finite gradient
// scale, with G = max|g|·|gs| + |L2|·max|p| and lim = maxFinite/16 (room for
// a few roundings):
//   - finite inputs, G ≤ lim (the gradient itself must not overflow) and
//     max|p| + |lr|·G ≤ lim: every new p is finite;
//   - finite inputs, lr rounds to 0 and G ≤ lim: p' == p numerically;
//   - finite gradient, gs and L2 round to 0: p' == p numerically (the
//     gradient is ±0; p − lr·(±0) == p, a −0 may become +0).
func sgdProperties[T float](t *testing.T, in, out [][]T, s *kernels.SGDScalars) {
	t.Helper()
	r := func(x float64) float64 { return math.Abs(float64(T(x))) }
	gs, l2, lr := r(s.GradScale), r(s.L2), r(s.LR)
	lim := maxFinite[T]() / 16
	unchanged := func(why string) {
		for i, x := range out[0] {
			if !numEq(x, in[0][i]) {
				t.Fatalf("SGD: %s changed p[%d] from %v to %v (g %v)", why, i, in[0][i], x, in[1][i])
			}
		}
	}
	if gs == 0 && l2 == 0 && allFinite(in[1]) && finite(lr) {
		unchanged("gradient scale 0 without weight decay")
	}
	if !allFinite(in...) {
		return
	}
	P := maxAbs(in[0])
	G := maxAbs(in[1])*gs + l2*P
	if G <= lim && P+lr*G <= lim {
		for i, x := range out[0] {
			if !finite(float64(x)) {
				t.Fatalf("SGD: finite inputs within bounds (max|p|=%g, G=%g, lr=%g) gave p[%d]=%v", P, G, lr, i, x)
			}
		}
	}
	if lr == 0 && G <= lim {
		unchanged("lr 0")
	}
}

// momentumProperties checks, for valid hyper-parameters and a finite
// gradient scale, with G as for SGD, B = max|buf| (0 on the first step),
// B' = |μ|·B + |1−τ|·G (G on the first step) bounding the new buffer,
// D = B' (heavy-ball) or G + |μ|·B' (Nesterov) bounding the step direction,
// and lim = maxFinite/16:
//   - finite inputs, G ≤ lim, B' ≤ lim: every new buffer element is finite;
//   - and D ≤ lim, max|p| + |lr|·D ≤ lim: every new p is finite;
//   - finite inputs, lr rounds to 0, D ≤ lim: p' == p numerically.
func momentumProperties[T float](t *testing.T, in, out [][]T, s *kernels.SGDScalars, first bool) {
	t.Helper()
	r := func(x float64) float64 { return math.Abs(float64(T(x))) }
	gs, l2, lr, mu, damp := r(s.GradScale), r(s.L2), r(s.LR), r(s.Momentum), r(s.OneMinusDampening)
	lim := maxFinite[T]() / 16
	if !allFinite(in[0], in[1]) || !first && !allFinite(in[2]) {
		return
	}
	P := maxAbs(in[0])
	G := maxAbs(in[1])*gs + l2*P
	Bn := G
	if !first {
		Bn = mu*maxAbs(in[2]) + damp*G
	}
	D := Bn
	if s.Nesterov {
		D = G + mu*Bn
	}
	if !(G <= lim && Bn <= lim) {
		return
	}
	for i, x := range out[2] {
		if !finite(float64(x)) {
			t.Fatalf("Momentum: finite inputs within bounds (G=%g, bound on new buffer %g) gave buf[%d]=%v", G, Bn, i, x)
		}
	}
	if D <= lim && P+lr*D <= lim {
		for i, x := range out[0] {
			if !finite(float64(x)) {
				t.Fatalf("Momentum: finite inputs within bounds (max|p|=%g, D=%g, lr=%g) gave p[%d]=%v", P, D, lr, i, x)
			}
		}
	}
	if lr == 0 && D <= lim {
		for i, x := range out[0] {
			if !numEq(x, in[0][i]) {
				t.Fatalf("Momentum: lr 0 changed p[%d] from %v to %v", i, in[0][i], x)
			}
		}
	}
}
