package optim

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// sfBound: measured maxima (TestScheduleFreeFormula's log: float32 1.8,
// float64 72) with headroom. The float64 figure is the kernels' bias
// correction, not the pass: kernels' 1 − β2^t rounds β2^t to float64
// before subtracting, an absolute error of about 1e-16 that 1 − β2^t
// (0.002 at step 2) magnifies to ~60 ULPs of 1/sqrt(bc2); the reference
// computes it as −expm1(t·log1p(−(1−β2))).
var sfBound = map[int]float64{4: 8, 8: 256}

// TestScheduleFreeFormula: Schedule-Free AdamW against an independent
// float64 evaluation of AdamWScheduleFree.step (written from
// facebookresearch/schedule_free's adamw_schedulefree.py), per step, with
// warm-up, r, weight_lr_power and a decaying learning rate (the average's
// weights follow lr_max), and Eval's x against x = y + (1 − 1/β1)·(z − y).
func TestScheduleFreeFormula(t *testing.T) {
	for _, v := range []Values{nil, {"warmup_steps": 3, "r": 0.5, "weight_lr_power": 1, "weight_decay": 0.05, "beta1": 0.8, "lr": 0.01}} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			m := newModel(43, []int{1, 33, 1000, ChunkElems + 17, 5}, true)
			o, err := New("schedulefree", []Group{{Params: m.params, Hyper: v, Schedule: halving{}}}, WithWorkers(3))
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			h := o.TypedHyper(0).(kernels.ScheduleFree)
			weightSum, lrMax := 0.0, -1.0
			var ckp1, lr float64
			last := 0
			worst := formulaCheck(t, o, m, 6, sfBound, func(step int, y, g []float64, st [][]float64) []float64 {
				if step != last { // once per step: the group's scalars
					last = step
					k := float64(step - 1)
					sched := 1.0
					if k < h.WarmupSteps {
						sched = (k + 1) / h.WarmupSteps
					}
					lr = halving{}.LR(step-1, h.LR) * sched
					lrMax = max(lr, lrMax)
					weight := math.Pow(k+1, h.R) * math.Pow(lrMax, h.WeightLRPower)
					weightSum += weight
					ckp1 = weight / weightSum
				}
				z, v := st[0], st[1]
				if step == 1 {
					copy(z, y)
				}
				bc2 := oneMinusPowRef(h.Beta2, step)
				extra := make([]float64, len(y)) // y's two terms, which may cancel
				for i := range y {
					extra[i] = math.Abs(ckp1 * (z[i] - y[i]))
					v[i] = float64(v[i]*h.Beta2) + float64(float64(g[i]*g[i])*(1-h.Beta2))
					u := g[i] / (math.Sqrt(v[i]/bc2) + h.Eps)
					u += float64(y[i] * h.WeightDecay)
					y[i] += float64(ckp1 * (z[i] - y[i]))
					y[i] += float64(u * float64(lr*(float64(h.Beta1*(1-ckp1))-1)))
					z[i] -= float64(u * lr)
				}
				return extra
			})
			t.Logf("max ULPs of the scale: float32 %.3g, float64 %.3g", worst[4], worst[8])

			// Eval: x from y and z; Step refused; Train: back to y (within rounding).
			y := m.snapshot()
			o.Eval()
			if !o.Evaluating() {
				t.Fatal("not evaluating after Eval")
			}
			for i, p := range m.params {
				z := o.c.tensors[i].stateOf(0)
				var zf []float64
				switch z := z.(type) {
				case []float32:
					zf = toF64(Param{Data32: z})
				case []float64:
					zf = z
				}
				yf := toF64(y.params[i])
				size := 8
				if p.Data32 != nil {
					size = 4
				}
				for j, got := range toF64(p) {
					want := yf[j] + (1-1/h.Beta1)*(zf[j]-yf[j])
					if d := math.Abs(got-want) / ulpOf(max(math.Abs(want), math.Abs(zf[j]-yf[j])), size); d > 4 {
						t.Fatalf("Eval %s[%d] = %v, x = %v (%.3g ULPs)", p.Name, j, got, want, d)
					}
				}
			}
			if _, err := o.Step(); !errors.Is(err, ErrEvalMode) {
				t.Fatalf("Step in evaluation mode: %v", err)
			}
			o.Eval() // idempotent
			o.Train()
			o.Train()
			if o.Evaluating() {
				t.Fatal("evaluating after Train")
			}
			for i, p := range m.params {
				yf, got := toF64(y.params[i]), toF64(p)
				for j := range got {
					if math.Abs(got[j]-yf[j]) > 1e-5*(1+math.Abs(yf[j])) {
						t.Fatalf("Train: %s[%d] = %v, y was %v", p.Name, j, got[j], yf[j])
					}
				}
			}
		})
	}
}

// TestScheduleFreeModes: Eval and Train before the first step change
// nothing; a checkpoint saved in evaluation mode resumes in evaluation
// mode, bit-identical to the uninterrupted run; Eval and Train do nothing
// for other algorithms.
func TestScheduleFreeModes(t *testing.T) {
	mk := func(seed uint64) (*model, *Optimizer) {
		m := newModel(seed, []int{1, 33, ChunkElems + 17, 5}, true)
		o, err := New("schedulefree", []Group{{Params: m.params[:2], Hyper: Values{"warmup_steps": 2}}, {Params: m.params[2:], Hyper: Values{"r": 1}}})
		if err != nil {
			t.Fatal(err)
		}
		return m, o
	}
	m, o := mk(1)
	before := m.snapshot()
	o.Eval()
	sameBits(t, "Eval before a step", before, m)
	o.Train()
	run := func(m *model, o *Optimizer, from, to int) {
		for it := from; it < to; it++ {
			m.fillGrads(1)
			if _, err := o.Step(); err != nil {
				t.Fatal(err)
			}
			if it == 2 {
				o.Eval()
				o.Train()
			}
		}
	}
	run(m, o, 0, 4)
	ws := o.c.groups[0].h.(*hyperOf[kernels.ScheduleFree, sfState]).s.WeightSum
	if err := o.SetHyper(0, Values{"lr": 0.0025}); err != nil { // the default: the run is unchanged
		t.Fatal(err)
	}
	if got := o.c.groups[0].h.(*hyperOf[kernels.ScheduleFree, sfState]).s.WeightSum; got != ws || ws == 0 {
		t.Fatalf("SetHyper changed the weight sum %v to %v", ws, got)
	}
	o.Eval()
	path := filepath.Join(t.TempDir(), "ck")
	if err := o.Save(path); err != nil {
		t.Fatal(err)
	}
	rest := m.clone()
	o.Train()
	run(m, o, 4, 8)

	m2, o2 := mk(7)
	if err := o2.Load(path); err != nil {
		t.Fatal(err)
	}
	if !o2.Evaluating() {
		t.Fatal("a checkpoint saved in evaluation mode resumed in training mode")
	}
	m2.rng = rest.rng
	o2.Train()
	run(m2, o2, 4, 8)
	sameBits(t, "resumed", m, m2)
	sameState(t, o, o2)

	a := newModel(3, []int{5}, false)
	ao, _ := New("adamw", []Group{{Params: a.params}})
	snap := a.snapshot()
	ao.Eval()
	if ao.Evaluating() {
		t.Fatal("adamw evaluating")
	}
	ao.Train()
	sameBits(t, "adamw Eval/Train", snap, a)
}
