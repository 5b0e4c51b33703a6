package optim

import (
	"fmt"
	"math"
	"testing"
)

// lionBound is the largest deviation, in ULPs of the trajectory's scale (as
// in TestPyTorchParity), of optim's Lion from the float64 evaluation of the
// formula, by element size: the largest values measured, rounded up to a
// power of two with at least 2× headroom. In float32 every step rounds θ
// and m to float32, and the evaluation does the same (θ and m are float32
// between steps): without that, θ ± lr·sign rounded the same way step
// after step drifts from the float64 sum linearly, 142 ULPs of the scale
// in 1000 steps, a property of float32 storage, not of the kernel. (lr is
// rounded to float32 once.) In float64 the kernel does the
// formula's operations in its order, so only a fused multiply-add the
// compiler might form could tell them apart, and the evaluation converts
// every product to forbid it (arm64 fused them: TestLionFormula failed
// under qemu-aarch64).
var lionBound = map[int]float64{4: 16, 8: 4} // measured over 1000 steps: 7.5, 0

// TestLionFormula: Lion has no torch.optim reference; optim's trajectory
// (float32 and float64, on the parity files' initial values and gradients)
// is checked against an independent float64 evaluation of the paper's
// update, written here from the formula:
//
//	c = β1·m + (1−β1)·g;  θ −= lr·(sign(c) + λ·θ);  m = β2·m + (1−β2)·g
//
// with sign(0) = 0 and g = −grad when maximizing.
func TestLionFormula(t *testing.T) {
	cases := []Values{
		{"lr": 0.01},
		{"lr": 0.003, "beta1": 0.95, "beta2": 0.98, "weight_decay": 0.1},
		{"lr": 0.01, "weight_decay": 0.05, "maximize": 1},
	}
	for _, name := range []string{"parity_f32.bin", "parity_f64.bin"} {
		f, err := readParity("testdata/parity/" + name)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range cases {
			a, _ := Lookup("lion")
			h, err := a.Check(v)
			if err != nil {
				t.Fatal(err)
			}
			lr, b1, b2, wd := h["lr"], h["beta1"], h["beta2"], h["weight_decay"]
			sgn := 1.0
			if h["maximize"] != 0 {
				sgn = -1
			}
			ps := parityParams(f)
			o, err := New("lion", []Group{{Params: ps, Hyper: v}})
			if err != nil {
				t.Fatal(err)
			}
			theta := append([]float64(nil), f.init...)
			m := make([]float64, len(theta))
			scales := make([]float64, len(theta))
			for i, x := range theta {
				scales[i] = math.Abs(x)
			}
			worst := 0.0
			for s := range f.steps {
				setParityGrads(f, ps, s)
				if _, err := o.Step(); err != nil {
					t.Fatal(err)
				}
				for i := range theta {
					g := sgn * f.grads[s][i]
					// Each product converted: no FMA on arm64, the same
					// evaluation on every CPU.
					c := float64(b1*m[i]) + float64((1-b1)*g)
					sign := 0.0
					if c > 0 {
						sign = 1
					} else if c < 0 {
						sign = -1
					}
					prev := theta[i]
					theta[i] -= float64(lr * (sign + float64(wd*theta[i])))
					m[i] = float64(b2*m[i]) + float64((1-b2)*g)
					if f.size == 4 {
						// float32 storage: θ and m are float32 between steps
						theta[i], m[i] = float64(float32(theta[i])), float64(float32(m[i]))
					}
					scales[i] = max(scales[i], math.Abs(theta[i]), math.Abs(theta[i]-prev))
				}
				for i, got := range parityData(ps) {
					su := math.Abs(got-theta[i]) / ulpOf(scales[i], f.size)
					worst = max(worst, su)
					if su > lionBound[f.size] {
						t.Errorf("%s %v step %d element %d: got %v, formula %v (%.3g ULPs of the scale %v)", name, v, s+1, i, got, theta[i], su, scales[i])
					}
				}
			}
			o.Close()
			t.Logf("%s lion %v: max %.2f ULPs of the scale", name, v, worst)
		}
	}
}

// parityParams returns parameters p0, p1, … of f's sizes holding f's
// initial values, of f's element type.
func parityParams(f *parityFile) []Param {
	ps := make([]Param, len(f.sizes))
	off := 0
	for i, n := range f.sizes {
		pn := fmt.Sprintf("p%d", i)
		if f.size == 4 {
			d := make([]float32, n)
			for j := range d {
				d[j] = float32(f.init[off+j])
			}
			ps[i] = Float32(pn, d, make([]float32, n))
		} else {
			ps[i] = Float64(pn, append([]float64(nil), f.init[off:off+n]...), make([]float64, n))
		}
		off += n
	}
	return ps
}

// setParityGrads writes step s's gradients into ps.
func setParityGrads(f *parityFile, ps []Param, s int) {
	off := 0
	for i, p := range ps {
		for j := range p.Grad32 {
			p.Grad32[j] = float32(f.grads[s][off+j])
		}
		copy(p.Grad64, f.grads[s][off:off+f.sizes[i]])
		off += f.sizes[i]
	}
}

// parityData returns the parameters' values, concatenated, as float64.
func parityData(ps []Param) []float64 {
	var out []float64
	for _, p := range ps {
		for _, x := range p.Data32 {
			out = append(out, float64(x))
		}
		out = append(out, p.Data64...)
	}
	return out
}
