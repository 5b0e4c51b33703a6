package optim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/descent-go/descent/kernels"
)

// model is a set of parameters with deterministic data and a gradient
// generator, for tests.
type model struct {
	params []Param
	rng    *rand.Rand
}

// newModel builds parameters of the given sizes; odd indices are float64
// when mixed is set.
func newModel(seed uint64, sizes []int, mixed bool) *model {
	m := &model{rng: rand.New(rand.NewPCG(seed, 1))}
	for i, n := range sizes {
		name := fmt.Sprintf("layer%d.weight", i)
		if mixed && i%2 == 1 {
			d := make([]float64, n)
			for j := range d {
				d[j] = m.rng.NormFloat64()
			}
			m.params = append(m.params, Float64(name, d, make([]float64, n)))
		} else {
			d := make([]float32, n)
			for j := range d {
				d[j] = float32(m.rng.NormFloat64())
			}
			m.params = append(m.params, Float32(name, d, make([]float32, n)))
		}
	}
	return m
}

// fillGrads writes fresh gradients scaled by s.
func (m *model) fillGrads(s float64) {
	for _, p := range m.params {
		for j := range p.Grad32 {
			p.Grad32[j] = float32(m.rng.NormFloat64() * s)
		}
		for j := range p.Grad64 {
			p.Grad64[j] = m.rng.NormFloat64() * s
		}
	}
}

// clone returns a deep copy of m's parameters and an independent
// generator in the same state.
func (m *model) clone() *model {
	c := &model{}
	for _, p := range m.params {
		q := Param{Name: p.Name, Shape: p.Shape}
		if p.Data32 != nil {
			q.Data32, q.Grad32 = append([]float32(nil), p.Data32...), append([]float32(nil), p.Grad32...)
		} else {
			q.Data64, q.Grad64 = append([]float64(nil), p.Data64...), append([]float64(nil), p.Grad64...)
		}
		c.params = append(c.params, q)
	}
	st := m.rng.Uint64() // advance m and seed c identically
	m.rng = rand.New(rand.NewPCG(st, 2))
	c.rng = rand.New(rand.NewPCG(st, 2))
	return c
}

// snapshot returns a deep copy of m's parameters, without a generator.
func (m *model) snapshot() *model {
	rng := m.rng
	m.rng = rand.New(rand.NewPCG(0, 0))
	c := m.clone()
	m.rng = rng
	return c
}

// sameBits fails unless the two models' data are bit-identical.
func sameBits(t *testing.T, what string, a, b *model) {
	t.Helper()
	for i := range a.params {
		p, q := a.params[i], b.params[i]
		for j := range p.Data32 {
			if math.Float32bits(p.Data32[j]) != math.Float32bits(q.Data32[j]) {
				t.Fatalf("%s: %s[%d]: %v != %v", what, p.Name, j, p.Data32[j], q.Data32[j])
			}
		}
		for j := range p.Data64 {
			if math.Float64bits(p.Data64[j]) != math.Float64bits(q.Data64[j]) {
				t.Fatalf("%s: %s[%d]: %v != %v", what, p.Name, j, p.Data64[j], q.Data64[j])
			}
		}
	}
}

var testSizes = []int{1, 33, 1000, 3*ChunkElems + 17, 7, ChunkElems, 2, 5000}

func adamVariants() map[string]kernels.Adam {
	a := kernels.DefaultAdam()
	aw := kernels.DefaultAdamW()
	ams := kernels.DefaultAdam()
	ams.AMSGrad, ams.WeightDecay = true, 0.01
	l2 := kernels.DefaultAdam()
	l2.WeightDecay, l2.Maximize = 0.05, true
	return map[string]kernels.Adam{"adam": a, "adamw": aw, "amsgrad": ams, "adam-l2-max": l2}
}

func sgdVariants() map[string]kernels.SGD {
	return map[string]kernels.SGD{
		"plain":    {LR: 0.01},
		"momentum": {LR: 0.01, Momentum: 0.9, Dampening: 0.1, WeightDecay: 1e-3},
		"nesterov": {LR: 0.01, Momentum: 0.9, Nesterov: true, Maximize: true},
	}
}

// refAdam runs the kernels over whole tensors: what Step must equal.
type refState struct {
	m32, v32, x32 [][]float32
	m64, v64, x64 [][]float64
}

func newRefState(ps []Param) *refState {
	r := &refState{}
	for _, p := range ps {
		n := p.Len()
		r.m32, r.v32, r.x32 = append(r.m32, make([]float32, n)), append(r.v32, make([]float32, n)), append(r.x32, make([]float32, n))
		r.m64, r.v64, r.x64 = append(r.m64, make([]float64, n)), append(r.v64, make([]float64, n)), append(r.x64, make([]float64, n))
	}
	return r
}

func (r *refState) adam(ps []Param, h kernels.Adam, t int, gs float64) {
	s := h.Scalars(t, gs)
	for i, p := range ps {
		switch {
		case p.Data32 != nil && h.AMSGrad:
			kernels.AMSGradStep[float32](p.Data32, p.Grad32, r.m32[i], r.v32[i], r.x32[i], &s)
		case p.Data32 != nil:
			kernels.AdamStep[float32](p.Data32, p.Grad32, r.m32[i], r.v32[i], &s)
		case h.AMSGrad:
			kernels.AMSGradStep[float64](p.Data64, p.Grad64, r.m64[i], r.v64[i], r.x64[i], &s)
		default:
			kernels.AdamStep[float64](p.Data64, p.Grad64, r.m64[i], r.v64[i], &s)
		}
	}
}

func (r *refState) sgd(ps []Param, h kernels.SGD, t int, gs float64) {
	s := h.Scalars(gs)
	for i, p := range ps {
		switch {
		case p.Data32 != nil && h.Momentum != 0:
			kernels.MomentumStep[float32](p.Data32, p.Grad32, r.x32[i], &s, t == 1)
		case p.Data32 != nil:
			kernels.SGDStep[float32](p.Data32, p.Grad32, &s)
		case h.Momentum != 0:
			kernels.MomentumStep[float64](p.Data64, p.Grad64, r.x64[i], &s, t == 1)
		default:
			kernels.SGDStep[float64](p.Data64, p.Grad64, &s)
		}
	}
}

func TestAdamMatchesKernels(t *testing.T) {
	for name, h := range adamVariants() {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(t *testing.T) {
				m := newModel(1, testSizes, true)
				r := m.clone()
				o, err := NewAdam([]AdamGroup{{Params: m.params, Hyper: h}}, WithWorkers(workers))
				if err != nil {
					t.Fatal(err)
				}
				defer o.Close()
				ref := newRefState(r.params)
				for step := 1; step <= 5; step++ {
					m.fillGrads(1)
					r.fillGrads(1)
					info, err := o.Step()
					if err != nil || info.Step != step || info.Skipped {
						t.Fatalf("step %d: %+v %v", step, info, err)
					}
					ref.adam(r.params, h, step, 1)
					sameBits(t, fmt.Sprintf("step %d", step), m, r)
				}
			})
		}
	}
}

func TestSGDMatchesKernels(t *testing.T) {
	for name, h := range sgdVariants() {
		for _, workers := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(t *testing.T) {
				m := newModel(2, testSizes, true)
				r := m.clone()
				o, err := NewSGD([]SGDGroup{{Params: m.params, Hyper: h}}, WithWorkers(workers))
				if err != nil {
					t.Fatal(err)
				}
				defer o.Close()
				ref := newRefState(r.params)
				for step := 1; step <= 5; step++ {
					m.fillGrads(1)
					r.fillGrads(1)
					if _, err := o.Step(); err != nil {
						t.Fatal(err)
					}
					ref.sgd(r.params, h, step, 1)
					sameBits(t, fmt.Sprintf("step %d", step), m, r)
				}
			})
		}
	}
}

// TestGroups checks that each group uses its own hyper-parameters.
func TestGroups(t *testing.T) {
	m := newModel(3, []int{10, 70000, 3, 200}, true)
	r := m.clone()
	h0, h1 := kernels.DefaultAdam(), kernels.DefaultAdamW()
	h1.LR, h1.AMSGrad = 0.01, true
	o, err := NewAdam([]AdamGroup{{Params: m.params[:2], Hyper: h0}, {Params: m.params[2:], Hyper: h1}}, WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	r0, r1 := newRefState(r.params[:2]), newRefState(r.params[2:])
	for step := 1; step <= 3; step++ {
		m.fillGrads(1)
		r.fillGrads(1)
		if _, err := o.Step(); err != nil {
			t.Fatal(err)
		}
		r0.adam(r.params[:2], h0, step, 1)
		r1.adam(r.params[2:], h1, step, 1)
		sameBits(t, fmt.Sprintf("step %d", step), m, r)
	}
	if o.NumGroups() != 2 || o.LR(1) != 0.01 || o.AdamHyper(1) != h1 || o.Kind() != KindAdam {
		t.Fatalf("accessors: %d %v %+v %v", o.NumGroups(), o.LR(1), o.AdamHyper(1), o.Kind())
	}
	if got := strings.Join(o.Names(), ","); got != "layer0.weight,layer1.weight,layer2.weight,layer3.weight" {
		t.Fatalf("Names: %s", got)
	}
}

// run trains a fresh copy of a model for steps steps with the given options
// and returns it.
func runAdam(t *testing.T, steps int, gradScale float64, opts ...Option) (*model, *Optimizer) {
	t.Helper()
	m := newModel(4, testSizes, true)
	h := kernels.DefaultAdamW()
	h.AMSGrad = true
	o, err := NewAdam([]AdamGroup{{Params: m.params, Hyper: h}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for range steps {
		m.fillGrads(gradScale)
		if _, err := o.Step(); err != nil {
			t.Fatal(err)
		}
	}
	return m, o
}

func TestWorkerCountInvariance(t *testing.T) {
	configs := map[string][]Option{
		"plain":       nil,
		"clipnorm":    {WithClipNorm(1)},
		"clipvalue":   {WithClipValue(0.5)},
		"scaler":      {WithLossScaler(DefaultScaler()), WithClipNorm(10), WithClipValue(1)},
		"finitecheck": {WithFiniteCheck(), WithClipValue(1)},
	}
	for name, opts := range configs {
		t.Run(name, func(t *testing.T) {
			base, o := runAdam(t, 4, 3, append(opts, WithWorkers(1))...)
			o.Close()
			for _, w := range []int{2, 3, 8} {
				m, o := runAdam(t, 4, 3, append(opts, WithWorkers(w))...)
				o.Close()
				sameBits(t, fmt.Sprintf("workers=%d", w), base, m)
			}
		})
	}
}

func TestPartition(t *testing.T) {
	m := newModel(5, []int{10, 2 * ChunkElems, ChunkElems + 3, 5, 0, 40000, 30000}, false)
	o, err := NewSGD([]SGDGroup{{Params: m.params, Hyper: kernels.SGD{LR: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	c := o.c
	covered := make([][]bool, len(c.tensors))
	for i := range c.tensors {
		covered[i] = make([]bool, c.tensors[i].base().n)
	}
	for it := range c.nItems() {
		n := 0
		for _, s := range c.segs[c.items[it]:c.items[it+1]] {
			if s.lo%16 != 0 {
				t.Errorf("segment %+v not at a multiple of 16 elements", s)
			}
			n += s.hi - s.lo
			for j := s.lo; j < s.hi; j++ {
				if covered[s.t][j] {
					t.Fatalf("element %d of tensor %d in two segments", j, s.t)
				}
				covered[s.t][j] = true
			}
		}
		if n > ChunkElems || n == 0 {
			t.Errorf("item %d has %d elements", it, n)
		}
	}
	for i := range covered {
		for j, ok := range covered[i] {
			if !ok {
				t.Fatalf("element %d of tensor %d not covered", j, i)
			}
		}
	}
	// Two full chunks, one full chunk of the third tensor; its 3-element
	// tail, 10, 5 and 40000 batch together; 30000 would overflow that item.
	if got := c.nItems(); got != 2+1+1+1 {
		t.Errorf("%d items", got)
	}
}

func TestZeroAllocs(t *testing.T) {
	for _, workers := range []int{1, 4} {
		for name, opts := range map[string][]Option{
			"plain": nil,
			"all":   {WithLossScaler(DefaultScaler()), WithClipNorm(1), WithClipValue(2)},
		} {
			t.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(t *testing.T) {
				m := newModel(6, testSizes, true)
				m.fillGrads(1)
				h := kernels.DefaultAdam()
				h.AMSGrad = true
				o, err := NewAdam([]AdamGroup{{Params: m.params[:4], Hyper: h, Schedule: halving{}},
					{Params: m.params[4:], Hyper: kernels.DefaultAdamW()}}, append(opts, WithWorkers(workers))...)
				if err != nil {
					t.Fatal(err)
				}
				defer o.Close()
				if _, err := o.Step(); err != nil {
					t.Fatal(err)
				}
				if a := testing.AllocsPerRun(20, func() { o.Step() }); a != 0 {
					t.Errorf("Adam: %v allocations per step", a)
				}
				s, err := NewSGD([]SGDGroup{{Params: m.params, Hyper: kernels.SGD{LR: 0.1, Momentum: 0.9}}}, append(opts, WithWorkers(workers))...)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				if _, err := s.Step(); err != nil {
					t.Fatal(err)
				}
				if a := testing.AllocsPerRun(20, func() { s.Step() }); a != 0 {
					t.Errorf("SGD: %v allocations per step", a)
				}
			})
		}
	}
}

// halving is a test schedule: the rate halves every 2 steps.
type halving struct{}

func (halving) LR(step int, base float64) float64 { return base * math.Pow(0.5, float64(step/2)) }

type recorder struct {
	steps []int
	bases []float64
	lr    float64
}

func (r *recorder) LR(step int, base float64) float64 {
	r.steps = append(r.steps, step)
	r.bases = append(r.bases, base)
	return r.lr
}

func TestSchedule(t *testing.T) {
	m := newModel(7, []int{5, 6}, false)
	r := m.clone()
	rec := &recorder{lr: 0.5}
	o, err := NewSGD([]SGDGroup{{Params: m.params[:1], Hyper: kernels.SGD{LR: 1}, Schedule: rec},
		{Params: m.params[1:], Hyper: kernels.SGD{LR: 2}, Schedule: rec}})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	for step := 1; step <= 3; step++ {
		m.fillGrads(1)
		r.fillGrads(1)
		if _, err := o.Step(); err != nil {
			t.Fatal(err)
		}
		for _, p := range r.params {
			s := kernels.SGD{LR: 0.5}.Scalars(1)
			kernels.SGDStep[float32](p.Data32, p.Grad32, &s)
		}
	}
	sameBits(t, "scheduled", m, r)
	if fmt.Sprint(rec.steps, rec.bases) != "[0 0 1 1 2 2] [1 2 1 2 1 2]" {
		t.Errorf("schedule called with %v %v", rec.steps, rec.bases)
	}
	if o.LR(0) != 0.5 {
		t.Errorf("LR(0) = %v", o.LR(0))
	}
	// A bad rate changes nothing.
	before := m.snapshot()
	rec.lr = math.NaN()
	if _, err := o.Step(); err == nil || o.StepCount() != 3 {
		t.Fatalf("NaN learning rate: err %v, step %d", err, o.StepCount())
	}
	sameBits(t, "after bad LR", m, before)
}

type observer struct {
	halving
	n int
}

func (o *observer) ObserveLoss(float64) { o.n++ }

func TestObserveLoss(t *testing.T) {
	m := newModel(8, []int{2, 3, 4}, false)
	ob1, ob2 := &observer{}, &observer{}
	o, err := NewSGD([]SGDGroup{{Params: m.params[:1], Hyper: kernels.SGD{}, Schedule: ob1},
		{Params: m.params[1:2], Hyper: kernels.SGD{}, Schedule: ob1},
		{Params: m.params[2:], Hyper: kernels.SGD{}, Schedule: ob2}})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	o.ObserveLoss(1)
	if ob1.n != 1 || ob2.n != 1 {
		t.Fatalf("observed %d, %d times", ob1.n, ob2.n)
	}
}

func TestClipNorm(t *testing.T) {
	for _, workers := range []int{1, 3} {
		m := newModel(9, testSizes, true)
		r := m.clone()
		h := kernels.DefaultAdam()
		const maxNorm = 100.0
		o, err := NewAdam([]AdamGroup{{Params: m.params, Hyper: h}}, WithClipNorm(maxNorm), WithWorkers(workers))
		if err != nil {
			t.Fatal(err)
		}
		ref := newRefState(r.params)
		for step := 1; step <= 3; step++ {
			m.fillGrads(0.1 * float64(step*step)) // the first step is not clipped
			r.fillGrads(0.1 * float64(step*step))
			info, err := o.Step()
			if err != nil {
				t.Fatal(err)
			}
			var ss float64
			for _, p := range r.params {
				for _, g := range p.Grad32 {
					ss += float64(g) * float64(g)
				}
				for _, g := range p.Grad64 {
					ss += g * g
				}
			}
			norm := math.Sqrt(ss)
			if !info.HasNorm || math.Abs(info.GradNorm-norm) > 1e-12*norm {
				t.Fatalf("step %d: norm %v, want %v", step, info.GradNorm, norm)
			}
			coef := maxNorm / (info.GradNorm + 1e-6)
			if coef >= 1 {
				coef = 1
			}
			if info.ClipCoef != coef || (step == 1) != (coef == 1) {
				t.Fatalf("step %d: coef %v, want %v", step, info.ClipCoef, coef)
			}
			ref.adam(r.params, h, step, coef)
			sameBits(t, fmt.Sprintf("step %d", step), m, r)
		}
		o.Close()
	}
}

func TestClipValue(t *testing.T) {
	m := newModel(10, []int{100, 70000}, true)
	r := m.clone()
	h := kernels.SGD{LR: 0.1}
	o, err := NewSGD([]SGDGroup{{Params: m.params, Hyper: h}}, WithClipValue(0.25), WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	m.fillGrads(1)
	r.fillGrads(1)
	if _, err := o.Step(); err != nil {
		t.Fatal(err)
	}
	for _, p := range r.params {
		for j, g := range p.Grad32 {
			p.Grad32[j] = max(-0.25, min(0.25, g))
		}
		for j, g := range p.Grad64 {
			p.Grad64[j] = max(-0.25, min(0.25, g))
		}
	}
	newRefState(r.params).sgd(r.params, h, 1, 1)
	sameBits(t, "clip value", m, r)
	for _, p := range m.params {
		for _, g := range p.Grad32 {
			if g > 0.25 || g < -0.25 {
				t.Fatalf("gradient %v not clamped", g)
			}
		}
	}
}

func TestLossScaler(t *testing.T) {
	m := newModel(11, testSizes, true)
	r := m.clone()
	h := kernels.DefaultAdam()
	cfg := ScalerConfig{InitScale: 1024, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 3}
	o, err := NewAdam([]AdamGroup{{Params: m.params, Hyper: h}}, WithLossScaler(cfg), WithWorkers(2))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	ref := newRefState(r.params)
	wantScale := 1024.0
	step := 0
	for i := range 10 {
		scale := o.Scale()
		if scale != wantScale {
			t.Fatalf("iteration %d: scale %v, want %v", i, scale, wantScale)
		}
		m.fillGrads(scale)
		r.fillGrads(scale)
		bad := i == 4 || i == 5
		if bad {
			m.params[3].Grad64[ChunkElems+5] = math.Inf(1)
			if i == 5 {
				m.params[2].Grad32[7] = float32(math.NaN())
			}
		}
		before := m.snapshot()
		info, err := o.Step()
		if err != nil {
			t.Fatal(err)
		}
		if bad {
			if !info.Skipped || info.Step != step || o.StepCount() != step {
				t.Fatalf("iteration %d: %+v", i, info)
			}
			sameBits(t, "skipped step", m, before)
			for ti, ot := range o.c.tensors {
				m32, _ := ot.stateOf(0).([]float32) // exp_avg of the float32 tensors
				v64, _ := ot.stateOf(1).([]float64) // exp_avg_sq of the float64 ones
				for j, v := range m32 {
					if v != ref.m32[ti][j] {
						t.Fatal("state changed by a skipped step")
					}
				}
				for j, v := range v64 {
					if v != ref.v64[ti][j] {
						t.Fatal("state changed by a skipped step")
					}
				}
			}
			wantScale /= 2
			continue
		}
		step++
		if info.Skipped || info.Step != step {
			t.Fatalf("iteration %d: %+v", i, info)
		}
		ref.adam(r.params, h, step, 1/scale)
		sameBits(t, fmt.Sprintf("iteration %d", i), m, r)
		if i == 2 || i == 8 { // 3 clean steps: 0,1,2 and 6,7,8
			wantScale *= 2
		}
		if info.Scale != wantScale {
			t.Fatalf("iteration %d: info.Scale %v, want %v", i, info.Scale, wantScale)
		}
	}
	if s, tr, ok := o.ScalerState(); !ok || s != wantScale || tr != 1 {
		t.Fatalf("ScalerState %v %v %v", s, tr, ok)
	}
}

// TestScaledClipNorm: the norm with a scaler is the norm of the unscaled
// gradients.
func TestScaledClipNorm(t *testing.T) {
	m := newModel(12, testSizes, false)
	o, err := NewSGD([]SGDGroup{{Params: m.params, Hyper: kernels.SGD{LR: 0}}}, WithClipNorm(1), WithLossScaler(DefaultScaler()))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	m.fillGrads(1)
	var ss float64
	for _, p := range m.params {
		for j := range p.Grad32 {
			ss += float64(p.Grad32[j]) * float64(p.Grad32[j])
			p.Grad32[j] *= 65536 // exact
		}
	}
	info, err := o.Step()
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(info.GradNorm-math.Sqrt(ss)) > 1e-12*math.Sqrt(ss) {
		t.Fatalf("norm %v, want %v", info.GradNorm, math.Sqrt(ss))
	}
}

func TestNonFiniteWithoutScaler(t *testing.T) {
	m := newModel(13, []int{10, 20}, false)
	o, err := NewAdam([]AdamGroup{{Params: m.params, Hyper: kernels.DefaultAdam()}}, WithFiniteCheck())
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	m.fillGrads(1)
	m.params[1].Grad32[3] = float32(math.NaN())
	before := m.snapshot()
	info, err := o.Step()
	if !errors.Is(err, ErrNonFinite) || !info.Skipped || o.StepCount() != 0 {
		t.Fatalf("%+v %v", info, err)
	}
	sameBits(t, "non-finite", m, before)
}

func TestCloseThenStep(t *testing.T) {
	a, o := runAdam(t, 2, 1, WithWorkers(4))
	o.Close()
	o.Close()
	a.fillGrads(1)
	if _, err := o.Step(); err != nil {
		t.Fatal(err)
	}
	if o.Workers() != 4 {
		t.Fatal(o.Workers())
	}
}

func TestZeroGrad(t *testing.T) {
	m := newModel(14, []int{3, 4}, true)
	m.fillGrads(1)
	o, err := NewSGD([]SGDGroup{{Params: m.params, Hyper: kernels.SGD{LR: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	o.ZeroGrad()
	if m.params[0].Grad32[2] != 0 || m.params[1].Grad64[3] != 0 {
		t.Fatal("not zeroed")
	}
}

func TestConstructorErrors(t *testing.T) {
	f := func(n int) []float32 { return make([]float32, n) }
	shared := f(10)
	good := kernels.DefaultAdam()
	bad := good
	bad.Beta1 = 1
	cases := []struct {
		name   string
		groups []AdamGroup
		opts   []Option
		want   string
	}{
		{"no groups", nil, nil, "no parameter groups"},
		{"empty group", []AdamGroup{{Hyper: good}}, nil, "no parameters"},
		{"bad hyper", []AdamGroup{{Params: []Param{Float32("a", f(1), f(1))}, Hyper: bad}}, nil, "beta1"},
		{"duplicate", []AdamGroup{{Params: []Param{Float32("a", f(1), f(1))}, Hyper: good},
			{Params: []Param{Float32("a", f(1), f(1))}, Hyper: good}}, nil, "duplicate"},
		{"nil grad", []AdamGroup{{Params: []Param{Float32("a", f(1), nil)}, Hyper: good}}, nil, "nil float32"},
		{"no data", []AdamGroup{{Params: []Param{{Name: "a"}}, Hyper: good}}, nil, "no data"},
		{"both", []AdamGroup{{Params: []Param{{Name: "a", Data32: f(1), Grad32: f(1), Data64: []float64{1}, Grad64: []float64{1}}}, Hyper: good}}, nil, "both"},
		{"lengths", []AdamGroup{{Params: []Param{Float32("a", f(2), f(3))}, Hyper: good}}, nil, "len(data)=2 len(grad)=3"},
		{"shape", []AdamGroup{{Params: []Param{{Name: "a", Data32: f(6), Grad32: f(6), Shape: []int{2, 2}}}, Hyper: good}}, nil, "shape"},
		{"empty name", []AdamGroup{{Params: []Param{Float32("", f(1), f(1))}, Hyper: good}}, nil, "empty"},
		{"suffix", []AdamGroup{{Params: []Param{Float32("w.exp_avg", f(1), f(1))}, Hyper: good}}, nil, "suffix"},
		{"reserved", []AdamGroup{{Params: []Param{Float32("__metadata__", f(1), f(1))}, Hyper: good}}, nil, "reserved"},
		{"overlap", []AdamGroup{{Params: []Param{Float32("a", shared[:5], f(5)), Float32("b", shared[4:], f(6))}, Hyper: good}}, nil, "overlap"},
		{"grad is data", []AdamGroup{{Params: []Param{Float32("a", shared, shared)}, Hyper: good}}, nil, "overlap"},
		{"clip norm", []AdamGroup{{Params: []Param{Float32("a", f(1), f(1))}, Hyper: good}}, []Option{WithClipNorm(-1)}, "clip norm"},
		{"clip value", []AdamGroup{{Params: []Param{Float32("a", f(1), f(1))}, Hyper: good}}, []Option{WithClipValue(math.NaN())}, "clip value"},
		{"scaler", []AdamGroup{{Params: []Param{Float32("a", f(1), f(1))}, Hyper: good}}, []Option{WithLossScaler(ScalerConfig{InitScale: 1, GrowthFactor: 2, BackoffFactor: 1, GrowthInterval: 1})}, "backoff"},
	}
	for _, c := range cases {
		o, err := NewAdam(c.groups, c.opts...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
		if o != nil {
			t.Errorf("%s: non-nil optimizer", c.name)
		}
	}
	if _, err := NewSGD([]SGDGroup{{Params: []Param{Float32("a", f(1), f(1))}, Hyper: kernels.SGD{LR: 1, Nesterov: true}}}); err == nil {
		t.Error("SGD: Nesterov without momentum accepted")
	}
}

// TestUnreachableOptimizerStopsWorkers: an optimizer dropped without Close
// has its worker goroutines stopped by its cleanup.
func TestUnreachableOptimizerStopsWorkers(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		m := newModel(15, []int{10}, false)
		o, err := NewSGD([]SGDGroup{{Params: m.params, Hyper: kernels.SGD{LR: 1}}}, WithWorkers(8))
		if err != nil {
			t.Fatal(err)
		}
		o.Step()
		if n := runtime.NumGoroutine(); n < before+7 {
			t.Fatalf("%d goroutines, want at least %d", n, before+7)
		}
	}()
	for range 50 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		if runtime.NumGoroutine() <= before {
			return
		}
	}
	t.Fatalf("%d goroutines remain, %d before", runtime.NumGoroutine(), before)
}
