package optim

import (
	"fmt"
	"math"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// formulaCheck runs an optimizer over newModel(sizes) for steps steps and,
// after each, compares every parameter with ref — an independent float64
// evaluation of one step of the algorithm on one tensor, given the
// optimizer's state before the step (read back as float64, so the bound is
// per step) — in ULPs of max(|θ|, |Δθ|) by element size.
func formulaCheck(t *testing.T, o *Optimizer, m *model, steps int, bound map[int]float64,
	ref func(step int, theta, g []float64, st [][]float64) (extra []float64)) map[int]float64 {
	t.Helper()
	worst := map[int]float64{}
	for step := 1; step <= steps; step++ {
		m.fillGrads(1)
		before := make([][]float64, len(m.params))
		states := make([][][]float64, len(m.params))
		for i, p := range m.params {
			before[i] = toF64(p)
			t := o.c.tensors[o.c.byName[p.Name]]
			for k := range o.c.alg.State {
				switch s := t.stateOf(k).(type) {
				case []float32:
					states[i] = append(states[i], toF64(Param{Data32: s}))
				case []float64:
					states[i] = append(states[i], append([]float64(nil), s...))
				}
			}
		}
		if _, err := o.Step(); err != nil {
			t.Fatal(err)
		}
		for i, p := range m.params {
			size := 8
			if p.Data32 != nil {
				size = 4
			}
			theta := append([]float64(nil), before[i]...)
			extra := ref(step, theta, toF64Grad(p), states[i])
			for j, got := range toF64(p) {
				scale := max(math.Abs(theta[j]), math.Abs(before[i][j]), math.Abs(theta[j]-before[i][j]))
				if extra != nil {
					scale = max(scale, extra[j])
				}
				d := math.Abs(got-theta[j]) / ulpOf(scale, size)
				worst[size] = max(worst[size], d)
				if d > bound[size] {
					t.Fatalf("step %d %s[%d]: got %v, formula %v (%.3g ULPs of %v)", step, p.Name, j, got, theta[j], d, scale)
				}
			}
		}
	}
	return worst
}

// oneMinusPowRef returns 1 − β^t as −expm1(t·log1p(−(1−β))), accurate
// to a few ULPs where 1 − math.Pow(β, t) loses digits to cancellation (β
// near 1, t small: 170 ULPs at β 0.999, t 6).
func oneMinusPowRef(beta float64, t int) float64 {
	return -math.Expm1(float64(t) * math.Log1p(-(1 - beta)))
}

// kahanSquares returns Σx², compensated (the reference's norms: more
// accurate than any order, so the bound measures the kernels' order).
func kahanSquares(x []float64) float64 {
	sum, c := 0.0, 0.0
	for _, e := range x {
		y := float64(e*e) - c
		t := sum + y
		c = (t - sum) - y
		sum = t
	}
	return sum
}

// lambBound: measured maxima (see TestLAMBFormula's log) with headroom.
var lambBound = map[int]float64{4: 8, 8: 32} // measured 2.45, 13

// TestLAMBFormula: LAMB against an independent float64 evaluation of
// optax.lamb (scale_by_adam, add_decayed_weights, scale_by_trust_ratio,
// scale by −lr), per step, over tensors batched and chunked, including a
// zero tensor (the trust ratio's convention: 1 when a norm is 0).
func TestLAMBFormula(t *testing.T) {
	for _, v := range []Values{nil, {"weight_decay": 0.1, "lr": 0.01, "beta1": 0.8, "eps": 1e-8}} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			m := newModel(41, []int{1, 33, 1000, ChunkElems + 17, 5}, true)
			clear(m.params[4].Data32)
			o, err := New("lamb", []Group{{Params: m.params, Hyper: v}}, WithWorkers(3))
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			h := o.TypedHyper(0).(kernels.LAMB)
			worst := formulaCheck(t, o, m, 5, lambBound, func(step int, theta, g []float64, st [][]float64) []float64 {
				mm, vv := st[0], st[1]
				u := make([]float64, len(theta))
				bc1, bc2 := oneMinusPowRef(h.Beta1, step), oneMinusPowRef(h.Beta2, step)
				for i := range theta {
					mm[i] = float64(h.Beta1*mm[i]) + float64((1-h.Beta1)*g[i])
					vv[i] = float64(h.Beta2*vv[i]) + float64(float64((1-h.Beta2)*g[i])*g[i])
					u[i] = (mm[i] / bc1) / (math.Sqrt(vv[i]/bc2) + h.Eps)
					u[i] += float64(h.WeightDecay * theta[i])
				}
				pn, un := kahanSquares(theta), kahanSquares(u)
				r := math.Sqrt(pn) / math.Sqrt(un)
				if pn == 0 || un == 0 {
					r = 1
				}
				for i := range theta {
					theta[i] -= float64(float64(h.LR*r) * u[i])
				}
				return nil
			})
			t.Logf("max ULPs of the scale: float32 %.3g, float64 %.3g", worst[4], worst[8])
		})
	}
	if kernels.TrustRatio(0, 4) != 1 || kernels.TrustRatio(4, 0) != 1 || kernels.TrustRatio(4, 1) != 2 || !math.IsNaN(kernels.TrustRatio(math.NaN(), 1)) {
		t.Error("TrustRatio's conventions")
	}
}
