package fuzz

import (
	"math"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// Adam-family targets. Arguments:
//
//	data    element values (see value), preceded by the raw fields that mode selects
//	n       slice length, mod maxLen+1
//	offs    element offset of each slice within its guarded buffer, 4 bits each (p, g, m, v, vmax)
//	step    step count t−1 (t = step+1 ≥ 1)
//	mode    bit 0 maximize; bit 1 decoupled (FuzzAMSGrad* only: FuzzAdam* is
//	        always coupled, FuzzAdamW* always decoupled); bits 2–10 replace
//	        AdamScalars fields (GradScale, L2, Decay, OneMinusBeta1, Beta2,
//	        OneMinusBeta2, InvSqrtBC2, Eps, StepSize, in that order) by any
//	        float64 read from data
//	lr, beta1, beta2, eps, wd, scale  kernels.Adam's fields and the gradient scale

const (
	modeMaximize  = 1 << 0
	modeDecoupled = 1 << 1
	modeRawShift  = 2
)

type adamVariant int

const (
	adamCoupled adamVariant = iota
	adamDecoupled
	amsgrad
)

func FuzzAdamF32(f *testing.F) { fuzzAdam(f, adamCoupled, kernels.AdamStep[float32], nil) }
func FuzzAdamF64(f *testing.F) { fuzzAdam(f, adamCoupled, kernels.AdamStep[float64], nil) }

func FuzzAdamWF32(f *testing.F) { fuzzAdam(f, adamDecoupled, kernels.AdamStep[float32], nil) }
func FuzzAdamWF64(f *testing.F) { fuzzAdam(f, adamDecoupled, kernels.AdamStep[float64], nil) }

func FuzzAMSGradF32(f *testing.F) { fuzzAdam(f, amsgrad, nil, kernels.AMSGradStep[float32]) }
func FuzzAMSGradF64(f *testing.F) { fuzzAdam(f, amsgrad, nil, kernels.AMSGradStep[float64]) }

func fuzzAdam[T float](f *testing.F, variant adamVariant,
	adam func(p, g, m, v []T, s *kernels.AdamScalars),
	ams func(p, g, m, v, vmax []T, s *kernels.AdamScalars)) {
	f.Fuzz(func(t *testing.T, data []byte, n uint16, offs uint32, step uint32, mode uint16,
		lr, beta1, beta2, eps, wd, scale float64) {
		h := kernels.Adam{LR: lr, Beta1: beta1, Beta2: beta2, Eps: eps, WeightDecay: wd,
			Maximize: mode&modeMaximize != 0, Decoupled: mode&modeDecoupled != 0}
		switch variant {
		case adamCoupled:
			h.Decoupled = false
		case adamDecoupled:
			h.Decoupled = true
		case amsgrad:
			h.AMSGrad = true
		}
		nt := int(step) + 1
		s := h.Scalars(nt, scale)
		size := length(n)
		d := newDecoder(data, size)
		raw := mode >> modeRawShift & (1<<9 - 1)
		fields := []*float64{&s.GradScale, &s.L2, &s.Decay, &s.OneMinusBeta1, &s.Beta2,
			&s.OneMinusBeta2, &s.InvSqrtBC2, &s.Eps, &s.StepSize}
		for i, p := range fields {
			if raw&(1<<i) != 0 {
				*p = rawField(d)
			}
		}
		k := 4
		if variant == amsgrad {
			k = 5
		}
		in := make([][]T, k)
		for j := range in {
			in[j] = values[T](d, size, j >= 3) // v and vmax non-negative unless special
		}
		name := "Adam"
		if variant == amsgrad {
			name = "AMSGrad"
		}
		kernel := func(a [][]T) []float64 {
			if variant == amsgrad {
				ams(a[0], a[1], a[2], a[3], a[4], &s)
			} else {
				adam(a[0], a[1], a[2], a[3], &s)
			}
			return nil
		}
		out, _ := runAll(t, name, in, offs, kernel)

		// Properties of the reference's result that need no reference.
		if raw != 0 || h.Validate() != nil || !finite(scale) {
			return
		}
		adamProperties(t, name, in, out, &s)
	})
}

// adamProperties checks what must hold for valid hyper-parameters
// (Adam.Validate passes, built by Adam.Scalars, finite gradient scale).
// Every bound below is computed in float64 from the scalars as rounded to T
// and is at most maxFinite/16, which leaves room for the few roundings
// (each a factor ≤ 1+2⁻²⁴) between the bound and the computed value.
//
// With G = max|g|·|gs| + |L2|·max|p| (bounds the effective gradient) and
// M = max(max|m|, G) (bounds m before and after the lerp, up to a factor 3):
//   - if every input is finite, v ≥ 0 (and vmax ≥ 0), 3M ≤ lim and
//     β2·max v + (1−β2)·G² ≤ lim, then every new m, v (and vmax) is finite
//     and every new v (vmax) is ≥ 0; vmax' ≥ vmax and vmax' ≥ v';
//   - with that, ε_T > 0 (ε rounded to T; a valid ε can round to 0 in
//     float32) bounds the denominator below, so |m'/den| ≤ Q = 3M/ε_T
//     (with a factor 2 for rounding); if Q ≤ lim and |Decay|·max|p| +
//     |StepSize|·Q ≤ lim every new p is finite;
//   - if StepSize rounds to 0 (lr = 0), Decay rounds to 1 and Q ≤ lim, p is
//     unchanged: p' == p numerically (p − (±0); a −0 may become +0).
func adamProperties[T float](t *testing.T, name string, in, out [][]T, s *kernels.AdamScalars) {
	t.Helper()
	r := func(x float64) float64 { return math.Abs(float64(T(x))) }
	gs, l2, decay := r(s.GradScale), r(s.L2), float64(T(s.Decay))
	b2, b2c, eps, step := r(s.Beta2), r(s.OneMinusBeta2), float64(T(s.Eps)), r(s.StepSize)
	lim := maxFinite[T]() / 16
	ams := len(in) == 5
	if !allFinite(in...) || !nonNeg(in[3]) || ams && !nonNeg(in[4]) {
		return
	}
	P, V := maxAbs(in[0]), maxAbs(in[3])
	G := maxAbs(in[1])*gs + l2*P
	M := max(maxAbs(in[2]), G)
	if !(3*M <= lim && b2*V+b2c*G*G <= lim) {
		return
	}
	for i := range out[0] {
		if !finite(float64(out[2][i])) || !finite(float64(out[3][i])) || !(out[3][i] >= 0) {
			t.Fatalf("%s: finite inputs within bounds (max|p|=%g, max|g|·gs=%g, max|m|=%g, max v=%g) gave m[%d]=%v v[%d]=%v",
				name, P, maxAbs(in[1])*gs, maxAbs(in[2]), V, i, out[2][i], i, out[3][i])
		}
		if ams {
			vm := out[4][i]
			if !finite(float64(vm)) || !(vm >= in[4][i]) || !(vm >= out[3][i]) {
				t.Fatalf("%s: vmax[%d] = %v, want finite and ≥ old vmax %v and new v %v", name, i, vm, in[4][i], out[3][i])
			}
		}
	}
	if !(eps > 0) {
		return
	}
	Q := 3 * M / eps * 2
	if Q <= lim && math.Abs(decay)*P+step*Q <= lim {
		for i, x := range out[0] {
			if !finite(float64(x)) {
				t.Fatalf("%s: finite inputs within bounds (max|p|=%g, step size %g, ε %g, bound on |m/den| %g) gave p[%d]=%v",
					name, P, step, eps, Q, i, x)
			}
		}
	}
	if step == 0 && decay == 1 && Q <= lim {
		for i, x := range out[0] {
			if !numEq(x, in[0][i]) {
				t.Fatalf("%s: step size 0 changed p[%d] from %v to %v", name, i, in[0][i], x)
			}
		}
	}
}
