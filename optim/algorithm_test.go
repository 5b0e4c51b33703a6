package optim

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/safetensors"
)

func TestRegistry(t *testing.T) {
	want := "sgd momentum nesterov adam adamw amsgrad lion adagrad rmsprop lamb schedulefree muon"
	if got := strings.Join(Names(), " "); got != want {
		t.Fatalf("Names() = %s, want %s", got, want)
	}
	for _, a := range Algorithms() {
		b, ok := Lookup(strings.ToUpper(a.Name))
		if !ok || b != a || rules[a.Kind] == nil || a.Doc == "" || !(a.TrainLR > 0) {
			t.Errorf("%s: lookup %v, rule %v, doc %q, train lr %v", a.Name, ok, rules[a.Kind], a.Doc, a.TrainLR)
		}
		if _, ok := a.Param("lr"); !ok {
			t.Errorf("%s has no lr", a.Name)
		}
		if _, err := a.Check(nil); err != nil {
			t.Errorf("%s: defaults: %v", a.Name, err)
		}
	}
	if _, ok := Lookup("sgdx"); ok {
		t.Error("found sgdx")
	}
	// Defaults are the kernels' (PyTorch's).
	for name, h := range map[string]any{"adam": kernels.DefaultAdam(), "adamw": kernels.DefaultAdamW(),
		"lion": kernels.DefaultLion(), "adagrad": kernels.DefaultAdagrad(), "rmsprop": kernels.DefaultRMSprop(),
		"lamb": kernels.DefaultLAMB(), "schedulefree": kernels.DefaultScheduleFree(), "muon": kernels.DefaultMuon()} {
		a, _ := Lookup(name)
		g, err := a.rule.newHyper(a, nil)
		if err != nil || g.typed() != h {
			t.Errorf("%s: defaults %+v (%v), want %+v", name, g.typed(), err, h)
		}
	}
	got := StateSuffixes()
	slices.Sort(got)
	if s := strings.Join(got, " "); s != ".absmax .exp_avg .exp_avg_sq .grad_avg .max_exp_avg_sq .momentum_buffer .square_avg .sum .z" {
		t.Errorf("state suffixes %s", s)
	}
	for _, sfx := range got {
		if ValidName("w"+sfx) == nil {
			t.Errorf("name w%s accepted", sfx)
		}
	}
}

// TestRangesMatchValidate: every descriptor's ranges are what the kernels'
// Validate accepts, at and beyond both ends.
func TestRangesMatchValidate(t *testing.T) {
	for _, a := range Algorithms() {
		for _, p := range a.Hyper {
			if p.Fixed {
				if _, err := a.Check(Values{p.Key: 1 - p.Default}); err == nil || !strings.Contains(err.Error(), "fixes "+p.Key) {
					t.Errorf("%s: fixed %s changed: %v", a.Name, p.Key, err)
				}
				continue
			}
			if p.Bool {
				// (1 may be refused with the other defaults: sgd's nesterov needs momentum.)
				for x, ok := range map[float64]bool{p.Default: true, 0.5: false, 2: false, -1: false} {
					if _, err := a.Check(Values{p.Key: x}); (err == nil) != ok {
						t.Errorf("%s: switch %s = %v: %v", a.Name, p.Key, x, err)
					}
				}
				continue
			}
			r := p.Range
			xs := []float64{r.Min, math.Nextafter(r.Min, math.Inf(-1)), math.Inf(1), math.Inf(-1), math.NaN(), 1e300}
			if !math.IsInf(r.Max, 1) {
				xs = append(xs, r.Max, math.Nextafter(r.Max, math.Inf(1)), (r.Min+r.Max)/2)
			}
			for _, x := range xs {
				_, err := a.Check(Values{p.Key: x})
				if (err == nil) != r.Contains(x) {
					t.Errorf("%s: %s = %v: range %v says %v, Check says %v", a.Name, p.Key, x, r, r.Contains(x), err)
				}
			}
		}
	}
}

func TestValuesErrors(t *testing.T) {
	ps := func() []Param { return []Param{Float32("w", make([]float32, 3), make([]float32, 3))} }
	for _, c := range []struct {
		alg   string
		hyper any
		want  string
	}{
		{"lion", Values{"momentum": 0.9}, `lion has no hyper-parameter "momentum" (it has lr, beta1, beta2, weight_decay, maximize)`},
		{"adamw", Values{"decoupled": 0}, "adamw fixes decoupled = true (have false)"},
		{"rmsprop", Values{"centered": 2}, "centered = 2, want 0 (false) or 1 (true)"},
		{"adagrad", Values{"eps": 0}, "eps 0 must be finite and > 0"},
		{"adagrad", kernels.DefaultAdam(), "hyper-parameters of type kernels.Adam, want optim.Values or kernels.Adagrad"},
		{"nesterov", kernels.SGD{LR: 1, Momentum: 0.9}, "nesterov fixes nesterov = true"},
		{"sgdx", nil, `unknown optimizer "sgdx"`},
	} {
		_, err := New(c.alg, []Group{{Params: ps(), Hyper: c.hyper}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: got %v, want %q", c.alg, c.hyper, err, c.want)
		}
	}
	// A typed value and its pointer are taken whole.
	h := kernels.DefaultLion()
	h.WeightDecay = 0.5
	for _, hy := range []any{h, &h} {
		o, err := New("lion", []Group{{Params: ps(), Hyper: hy}})
		if err != nil || o.TypedHyper(0) != h || o.Hyper(0)["weight_decay"] != 0.5 || o.Algorithm().Name != "lion" || o.Kind() != KindLion {
			t.Fatalf("%v %v", o, err)
		}
	}
}

// variants returns hyper-parameter sets that exercise every form of an
// algorithm's update: its defaults; weight decay and maximize where it has
// them; and the structural variants below.
func variants(a *Algorithm) map[string]Values {
	vs := map[string]Values{"defaults": nil}
	v := Values{}
	for _, k := range []string{"weight_decay", "maximize"} {
		if p, ok := a.Param(k); ok && !p.Fixed {
			v[k] = map[string]float64{"weight_decay": 0.03, "maximize": 1}[k]
		}
	}
	vs["wd-max"] = v
	extra := map[string]map[string]Values{
		"sgd":      {"momentum": {"momentum": 0.9, "dampening": 0.1}},
		"adam":     {"amsgrad": {"amsgrad": 1, "weight_decay": 0.01}},
		"adamw":    {"amsgrad": {"amsgrad": 1}},
		"adagrad":  {"all": {"lr_decay": 0.1, "initial_accumulator_value": 0.5, "eps": 1e-6, "weight_decay": 0.01}},
		"rmsprop":  {"centered-momentum": {"centered": 1, "momentum": 0.8, "weight_decay": 0.01}, "centered": {"centered": 1}, "momentum": {"momentum": 0.5}},
		"lion":     {"betas": {"beta1": 0.95, "beta2": 0.98, "weight_decay": 0.1}},
		"nesterov": {"wd": {"weight_decay": 1e-3, "momentum": 0.7}},
		"lamb":     {"wd-betas": {"weight_decay": 0.01, "beta1": 0.8, "beta2": 0.99}},
		"schedulefree": {"warmup": {"warmup_steps": 3, "r": 0.5, "weight_lr_power": 1, "weight_decay": 0.01},
			"betas": {"beta1": 0.5, "beta2": 0.9}},
		"muon": {"adam": {"beta1": 0.8, "beta2": 0.95, "adam_eps": 1e-6, "weight_decay": 0.05}},
	}
	for k, x := range extra[a.Name] {
		vs[k] = x
	}
	if a.Kind == KindMuon {
		// The tests' tensors are 1-D: Muon's AdamW groups (muon_test.go
		// tests the matrices' update).
		for k, x := range vs {
			y := Values{"adamw": 1}
			for kk, xx := range x {
				y[kk] = xx
			}
			vs[k] = y
		}
	}
	return vs
}

// refStep runs one step of the rule of h over whole slices through the
// public kernels, with the state slices st (allocated and initialized by
// refState).
func refStep[T kernels.Float](h any, t int, gs float64, p, g []T, st [][]T) {
	switch h := h.(type) {
	case kernels.SGD:
		s := h.Scalars(gs)
		if h.Momentum != 0 {
			kernels.MomentumStep(p, g, st[0], &s, t == 1)
		} else {
			kernels.SGDStep(p, g, &s)
		}
	case kernels.Adam:
		s := h.Scalars(t, gs)
		if h.AMSGrad {
			kernels.AMSGradStep(p, g, st[0], st[1], st[2], &s)
		} else {
			kernels.AdamStep(p, g, st[0], st[1], &s)
		}
	case kernels.Lion:
		s := h.Scalars(gs)
		kernels.LionStep(p, g, st[0], &s)
	case kernels.Adagrad:
		s := h.Scalars(t, gs)
		kernels.AdagradStep(p, g, st[0], &s)
	case kernels.Muon:
		if !h.AdamW {
			panic("refStep: Muon groups need matrices (muon_test.go)")
		}
		s := h.AdamWHyper().Scalars(t, gs)
		kernels.AdamStep(p, g, st[1], st[2], &s)
	case kernels.LAMB:
		s := h.Scalars(t, gs)
		kernels.LAMBStep(p, g, st[0], st[1], st[2], &s)
	case kernels.ScheduleFree:
		var s kernels.ScheduleFreeScalars
		for k := 1; k <= t; k++ {
			h.Next(&s, k, gs)
		}
		kernels.ScheduleFreeStep(p, g, st[0], st[1], &s, t == 1)
	case kernels.RMSprop:
		s := h.Scalars(gs)
		var buf, gavg []T
		if h.Momentum != 0 {
			buf = st[1]
		}
		if h.Centered {
			gavg = st[2]
		}
		kernels.RMSpropStep(p, g, st[0], buf, gavg, &s)
	default:
		panic(fmt.Sprintf("refStep: no reference for %T", h))
	}
}

func refStateOf[T kernels.Float](h any, n int) [][]T {
	st := [][]T{make([]T, n), make([]T, n), make([]T, n)}
	if a, ok := h.(kernels.Adagrad); ok {
		for i := range st[0] {
			st[0][i] = T(a.InitialAccumulatorValue)
		}
	}
	return st
}

// TestEveryAlgorithmMatchesKernels: for every registered algorithm and its
// variants, Step over chunked, mixed-dtype tensors equals the kernels run
// over whole tensors, for 1 and 3 workers.
func TestEveryAlgorithmMatchesKernels(t *testing.T) {
	for _, a := range Algorithms() {
		for vn, v := range variants(a) {
			for _, workers := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/%s/workers=%d", a.Name, vn, workers), func(t *testing.T) {
					t.Parallel()
					m := newModel(21, algSizes, true)
					r := m.clone()
					o, err := a.New([]Group{{Params: m.params, Hyper: v}}, WithWorkers(workers))
					if err != nil {
						t.Fatal(err)
					}
					defer o.Close()
					h := o.TypedHyper(0)
					st32, st64 := map[int][][]float32{}, map[int][][]float64{}
					for i, p := range r.params {
						st32[i], st64[i] = refStateOf[float32](h, len(p.Data32)), refStateOf[float64](h, len(p.Data64))
					}
					for step := 1; step <= 4; step++ {
						m.fillGrads(1)
						r.fillGrads(1)
						if _, err := o.Step(); err != nil {
							t.Fatal(err)
						}
						for i, p := range r.params {
							refStep(h, step, 1, p.Data32, p.Grad32, st32[i])
							refStep(h, step, 1, p.Data64, p.Grad64, st64[i])
						}
						sameBits(t, fmt.Sprintf("step %d", step), m, r)
					}
				})
			}
		}
	}
}

// algSizes are the tensors of the per-algorithm tests: small ones batched
// together, a tensor of a full chunk and a tail.
var algSizes = []int{1, 33, 1000, ChunkElems + 17, 5}

// runAlg trains a fresh model with algorithm a (hyper-parameters v) for
// steps steps and returns the model and the optimizer.
func runAlg(t *testing.T, a *Algorithm, v Values, steps int, opts ...Option) (*model, *Optimizer) {
	t.Helper()
	m := newModel(22, algSizes, true)
	o, err := a.New([]Group{{Params: m.params[:3], Hyper: v, Schedule: halving{}}, {Params: m.params[3:], Hyper: v}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	for range steps {
		m.fillGrads(3 * o.Scale())
		if _, err := o.Step(); err != nil {
			t.Fatal(err)
		}
	}
	return m, o
}

// TestEveryAlgorithmWorkerCountInvariance: parameters and state are
// bit-identical for any number of workers, with clipping and a loss scaler.
func TestEveryAlgorithmWorkerCountInvariance(t *testing.T) {
	opts := []Option{WithLossScaler(DefaultScaler()), WithClipNorm(10), WithClipValue(2)}
	for _, a := range Algorithms() {
		for vn, v := range variants(a) {
			t.Run(a.Name+"/"+vn, func(t *testing.T) {
				t.Parallel()
				base, o := runAlg(t, a, v, 3, append(opts, WithWorkers(1))...)
				o.Close()
				want := checkpointBytes(t, o)
				for _, w := range []int{2, 3, 8} {
					m, o := runAlg(t, a, v, 3, append(opts, WithWorkers(w))...)
					o.Close()
					sameBits(t, fmt.Sprintf("workers=%d", w), base, m)
					if !bytes.Equal(want, checkpointBytes(t, o)) {
						t.Fatalf("workers=%d: state differs", w)
					}
				}
			})
		}
	}
}

func TestEveryAlgorithmZeroAllocs(t *testing.T) {
	for _, a := range Algorithms() {
		for vn, v := range variants(a) {
			for _, workers := range []int{1, 4} {
				m := newModel(23, algSizes, true)
				m.fillGrads(1)
				o, err := a.New([]Group{{Params: m.params[:4], Hyper: v, Schedule: halving{}}, {Params: m.params[4:], Hyper: v}},
					WithLossScaler(DefaultScaler()), WithClipNorm(1), WithClipValue(2), WithWorkers(workers))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := o.Step(); err != nil {
					t.Fatal(err)
				}
				if n := testing.AllocsPerRun(10, func() { o.Step() }); n != 0 {
					t.Errorf("%s/%s/workers=%d: %v allocations per step", a.Name, vn, workers, n)
				}
				o.Close()
			}
		}
	}
}

// TestEveryAlgorithmCheckpoint: a run saved and resumed (with other initial
// values and worker count) ends bit-identical to an uninterrupted one, and
// the checkpoint holds the state tensors the descriptor names.
func TestEveryAlgorithmCheckpoint(t *testing.T) {
	opts := []Option{WithLossScaler(ScalerConfig{InitScale: 256, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 2}), WithClipNorm(30)}
	for _, a := range Algorithms() {
		for vn, v := range variants(a) {
			t.Run(a.Name+"/"+vn, func(t *testing.T) {
				t.Parallel()
				mk := func(seed uint64, workers int) *trainer {
					m := newModel(seed, algSizes, true)
					o, err := a.New([]Group{{Params: m.params[:3], Hyper: v, Schedule: &decaying{best: math.Inf(1)}}, {Params: m.params[3:], Hyper: v}},
						append(opts, WithWorkers(workers))...)
					if err != nil {
						t.Fatal(err)
					}
					return &trainer{m, o}
				}
				full := mk(1, 2)
				full.train(t, 0, 10)
				first := mk(1, 1)
				first.train(t, 0, 6)
				path := filepath.Join(t.TempDir(), "ck")
				if err := first.o.Save(path); err != nil {
					t.Fatal(err)
				}
				resumed := mk(99, 3) // other initial values, other worker count
				if err := resumed.o.Load(path); err != nil {
					t.Fatal(err)
				}
				sameState(t, first.o, resumed.o)
				resumed.train(t, 6, 10)
				sameBits(t, "resumed vs uninterrupted", full.m, resumed.m)
				sameState(t, full.o, resumed.o)
				ro := resumed.o

				f, err := safetensors.Parse(checkpointBytes(t, ro))
				if err != nil {
					t.Fatal(err)
				}
				vals, _ := a.Check(v)
				kept := a.KeptState(vals)
				if len(f.Tensors) != len(algSizes)*(1+len(kept)) {
					t.Fatalf("%d tensors for state %v", len(f.Tensors), kept)
				}
				for i, x := range f.Tensors[1 : 1+len(kept)] {
					if x.Name != "layer0.weight."+kept[i] {
						t.Errorf("tensor %q, want state %q", x.Name, kept[i])
					}
				}
				if f.Metadata["kind"] != string(a.Kind) {
					t.Errorf("kind %q", f.Metadata["kind"])
				}
			})
		}
	}
}

func TestStateInit(t *testing.T) {
	o, err := New("adagrad", []Group{{Params: []Param{Float32("w", []float32{1, 2}, []float32{0, 0}), Float64("b", []float64{1}, []float64{0})},
		Hyper: Values{"initial_accumulator_value": 0.25}}})
	if err != nil {
		t.Fatal(err)
	}
	if s := o.c.tensors[0].stateOf(0).([]float32); s[0] != 0.25 || s[1] != 0.25 {
		t.Errorf("sum %v", s)
	}
	if s := o.c.tensors[1].stateOf(0).([]float64); s[0] != 0.25 {
		t.Errorf("sum %v", s)
	}
}

// TestRestoreStructure: checkpoints whose structural settings or kept state
// differ from the optimizer's are refused before anything changes.
func TestRestoreStructure(t *testing.T) {
	mk := func(alg string, v Values) *trainer {
		m := newModel(24, []int{5, 70}, true)
		o, err := New(alg, []Group{{Params: m.params, Hyper: v}})
		if err != nil {
			t.Fatal(err)
		}
		o.Step()
		return &trainer{m, o}
	}
	for _, c := range []struct {
		alg      string
		src, dst Values
		want     string
	}{
		{"rmsprop", Values{"centered": 1}, nil, "has centered=true, the optimizer centered=false"},
		{"rmsprop", Values{"momentum": 0.9}, nil, "keeps state [square_avg momentum_buffer], the optimizer [square_avg] (momentum 0.9 against 0)"},
		{"momentum", Values{"momentum": 0.5}, Values{"dampening": 0.5}, ""}, // hyper-parameters are restored
		{"sgd", Values{"momentum": 0.9}, nil, "(momentum 0.9 against 0)"},
		{"adam", Values{"decoupled": 1}, nil, "has decoupled=true"},
	} {
		src, dst := mk(c.alg, c.src), mk(c.alg, c.dst)
		if c.want == "" {
			ck, _ := ReadCheckpoint(bytes.NewReader(checkpointBytes(t, src.o)))
			if err := dst.o.Restore(ck); err != nil {
				t.Errorf("%s: %v", c.alg, err)
			}
			sameState(t, src.o, dst.o)
			continue
		}
		expectNoChange(t, dst, checkpointBytes(t, src.o), c.want)
	}
	expectNoChange(t, mk("adagrad", nil), checkpointBytes(t, mk("rmsprop", nil).o), "checkpoint is of a rmsprop optimizer, this is adagrad")
}
