package schedule

import (
	"errors"
	"maps"
	"math"
	"strings"
	"sync"
	"testing"
)

// Compile-time checks of the method sets.
var (
	_ Schedule = Constant{}
	_ Schedule = (*Step)(nil)
	_ Schedule = (*MultiStep)(nil)
	_ Schedule = (*Exponential)(nil)
	_ Schedule = (*Cosine)(nil)
	_ Schedule = (*Warmup)(nil)
	_ Schedule = (*OneCycle)(nil)
	_ Schedule = (*Plateau)(nil)
	_ Stateful = (*Plateau)(nil)
	_ Stateful = (*Warmup)(nil)

	_ LossObserver = (*Plateau)(nil)
	_ LossObserver = (*Warmup)(nil)
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestConstructorsReject(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	oc := func(f func(*OneCycleConfig)) error {
		c := DefaultOneCycle(0.1, 100)
		f(&c)
		_, err := NewOneCycle(c)
		return err
	}
	pl := func(f func(*PlateauConfig)) error {
		c := DefaultPlateau()
		f(&c)
		_, err := NewPlateau(c)
		return err
	}
	cos := must(NewCosine(10, 0))
	errOf := func(_ any, err error) error { return err }
	cases := map[string]error{
		"step size 0":        errOf(NewStep(0, 0.1)),
		"step size -1":       errOf(NewStep(-1, 0.1)),
		"step gamma 0":       errOf(NewStep(10, 0)),
		"step gamma -0.1":    errOf(NewStep(10, -0.1)),
		"step gamma NaN":     errOf(NewStep(10, nan)),
		"step gamma Inf":     errOf(NewStep(10, inf)),
		"multistep negative": errOf(NewMultiStep([]int{10, -1}, 0.1)),
		"multistep gamma 0":  errOf(NewMultiStep([]int{10}, 0)),
		"exp gamma 0":        errOf(NewExponential(0)),
		"exp gamma NaN":      errOf(NewExponential(nan)),
		"cosine T_max 0":     errOf(NewCosine(0, 0)),
		"linear start 0":     errOf(NewLinear(0, 1, 5)),
		"linear start 1.5":   errOf(NewLinear(1.5, 1, 5)),
		"linear end -0.1":    errOf(NewLinear(1, -0.1, 5)),
		"linear end NaN":     errOf(NewLinear(1, nan, 5)),
		"linear iters 0":     errOf(NewLinear(1, 0, 0)),
		"poly iters 0":       errOf(NewPolynomial(0, 1)),
		"poly power 0":       errOf(NewPolynomial(5, 0)),
		"poly power Inf":     errOf(NewPolynomial(5, math.Inf(1))),
		"restarts T_0 0":     errOf(NewWarmRestarts(0, 1, 0)),
		"restarts T_mult 0":  errOf(NewWarmRestarts(5, 0, 0)),
		"restarts eta -1":    errOf(NewWarmRestarts(5, 1, -1)),
		"cosine T_max -5":    errOf(NewCosine(-5, 0)),
		"cosine eta -1e-3":   errOf(NewCosine(10, -1e-3)),
		"cosine eta NaN":     errOf(NewCosine(10, nan)),
		"cosine eta Inf":     errOf(NewCosine(10, inf)),
		"warmup nil":         errOf(NewWarmup(nil, 5, 0.1)),
		"warmup steps -1":    errOf(NewWarmup(cos, -1, 0.1)),
		"warmup factor 1.5":  errOf(NewWarmup(cos, 5, 1.5)),
		"warmup factor -0.1": errOf(NewWarmup(cos, 5, -0.1)),
		"warmup factor NaN":  errOf(NewWarmup(cos, 5, nan)),
		"onecycle total 0":   oc(func(c *OneCycleConfig) { c.TotalSteps = 0 }),
		"onecycle total -3":  oc(func(c *OneCycleConfig) { c.TotalSteps = -3 }),
		"onecycle max -1":    oc(func(c *OneCycleConfig) { c.MaxLR = -1 }),
		"onecycle max Inf":   oc(func(c *OneCycleConfig) { c.MaxLR = inf }),
		"onecycle pct 1.1":   oc(func(c *OneCycleConfig) { c.PctStart = 1.1 }),
		"onecycle pct -0.1":  oc(func(c *OneCycleConfig) { c.PctStart = -0.1 }),
		"onecycle pct NaN":   oc(func(c *OneCycleConfig) { c.PctStart = nan }),
		"onecycle pct·T = 1": oc(func(c *OneCycleConfig) { c.PctStart = 0.01 }),
		"onecycle anneal 7":  oc(func(c *OneCycleConfig) { c.Anneal = 7 }),
		"onecycle div 0":     oc(func(c *OneCycleConfig) { c.DivFactor = 0 }),
		"onecycle fdiv -1":   oc(func(c *OneCycleConfig) { c.FinalDivFactor = -1 }),
		"onecycle basem 1":   oc(func(c *OneCycleConfig) { c.BaseMomentum = 1 }),
		"onecycle maxm -0.1": oc(func(c *OneCycleConfig) { c.MaxMomentum = -0.1 }),
		"plateau mode 2":     pl(func(c *PlateauConfig) { c.Mode = 2 }),
		"plateau tmode 2":    pl(func(c *PlateauConfig) { c.ThresholdMode = 2 }),
		"plateau factor 0":   pl(func(c *PlateauConfig) { c.Factor = 0 }),
		"plateau factor 1":   pl(func(c *PlateauConfig) { c.Factor = 1 }),
		"plateau factor 2":   pl(func(c *PlateauConfig) { c.Factor = 2 }),
		"plateau factor NaN": pl(func(c *PlateauConfig) { c.Factor = nan }),
		"plateau patience":   pl(func(c *PlateauConfig) { c.Patience = -1 }),
		"plateau cooldown":   pl(func(c *PlateauConfig) { c.Cooldown = -1 }),
		"plateau thr -1e-4":  pl(func(c *PlateauConfig) { c.Threshold = -1e-4 }),
		"plateau thr rel 1":  pl(func(c *PlateauConfig) { c.Threshold = 1 }),
		"plateau thr Inf":    pl(func(c *PlateauConfig) { c.Threshold, c.ThresholdMode = inf, Abs }),
		"plateau min_lr":     pl(func(c *PlateauConfig) { c.MinLR = -1e-6 }),
		"plateau eps":        pl(func(c *PlateauConfig) { c.Eps = -1 }),
		"plateau eps NaN":    pl(func(c *PlateauConfig) { c.Eps = nan }),
	}
	for name, err := range cases {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.HasPrefix(err.Error(), "schedule: New") {
			t.Errorf("%s: error %q lacks the constructor's name", name, err)
		}
	}
}

func TestConstructorsAccept(t *testing.T) {
	cos := must(NewCosine(10, 0))
	oc := DefaultOneCycle(0, 10)
	oc.PctStart = 0
	abs := DefaultPlateau()
	abs.ThresholdMode, abs.Threshold, abs.Patience, abs.Factor = Abs, 5, 0, 1e-9
	for name, err := range map[string]error{
		"exp gamma 1.02":        func() error { _, err := NewExponential(1.02); return err }(),
		"multistep none":        func() error { _, err := NewMultiStep(nil, 0.1); return err }(),
		"warmup 0 steps":        func() error { _, err := NewWarmup(cos, 0, 0.1); return err }(),
		"warmup factor 0":       func() error { _, err := NewWarmup(cos, 5, 0); return err }(),
		"warmup factor 1":       func() error { _, err := NewWarmup(cos, 5, 1); return err }(),
		"onecycle base, pct 0":  func() error { _, err := NewOneCycle(oc); return err }(),
		"plateau abs threshold": func() error { _, err := NewPlateau(abs); return err }(),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestMultiStepKeepsCallerSlice(t *testing.T) {
	ms := []int{30, 10}
	s := must(NewMultiStep(ms, 0.1))
	if ms[0] != 30 || ms[1] != 10 {
		t.Errorf("caller's milestones reordered to %v", ms)
	}
	ms[0], ms[1] = 1, 2
	if got := s.LR(5, 1); got != 1 {
		t.Errorf("LR(5) = %v after the caller changed its slice, want 1", got)
	}
	if got := s.LR(12, 1); math.Abs(got-0.1) > 1e-15 {
		t.Errorf("LR(12) = %v, want 0.1", got)
	}
}

func TestNegativeStep(t *testing.T) {
	for _, s := range []Schedule{
		must(NewStep(1, 0.5)), must(NewExponential(0.5)), must(NewCosine(3, 0)),
		must(NewWarmup(Constant{}, 4, 0.25)), must(NewOneCycle(DefaultOneCycle(1, 10))),
	} {
		for _, step := range []int{-1, -7, math.MinInt} {
			if got, want := s.LR(step, 0.2), s.LR(0, 0.2); got != want {
				t.Errorf("%T.LR(%d) = %v, want LR(0) = %v", s, step, got, want)
			}
		}
	}
}

func TestWarmupZeroStepsIsInner(t *testing.T) {
	inner := must(NewCosine(7, 1e-3))
	w := must(NewWarmup(inner, 0, 0.1))
	for step := 0; step <= 20; step++ {
		if got, want := w.LR(step, 0.3), inner.LR(step, 0.3); got != want {
			t.Fatalf("step %d: %v, inner %v", step, got, want)
		}
	}
}

func TestWarmupFromZero(t *testing.T) {
	w := must(NewWarmup(Constant{}, 4, 0))
	want := []float64{0, 0.25, 0.5, 0.75, 1, 1}
	for i, v := range want {
		if got := w.LR(i, 1); got != v {
			t.Errorf("step %d: %v, want %v", i, got, v)
		}
	}
}

func TestOneCyclePastEnd(t *testing.T) {
	for _, three := range []bool{false, true} {
		c := DefaultOneCycle(0.1, 50)
		c.ThreePhase = three
		s := must(NewOneCycle(c))
		lastLR, lastM := s.LR(49, 0), s.Momentum(49)
		if want := 0.1 / 25 / 1e4; math.Abs(lastLR-want) > 1e-12*want {
			t.Errorf("three_phase=%v: final lr %v, want %v", three, lastLR, want)
		}
		if lastM != 0.95 {
			t.Errorf("three_phase=%v: final momentum %v, want 0.95", three, lastM)
		}
		for _, step := range []int{50, 51, 1000, math.MaxInt} {
			if s.LR(step, 0) != lastLR || s.Momentum(step) != lastM {
				t.Errorf("three_phase=%v step %d: lr %v momentum %v, want the final %v %v",
					three, step, s.LR(step, 0), s.Momentum(step), lastLR, lastM)
			}
		}
		// PyTorch's cosine formula rounds at pct 0 too: within 1e-12, not equal.
		if got, want := s.LR(0, 0), 0.1/25; math.Abs(got-want) > 1e-12*want {
			t.Errorf("first lr %v, want %v", got, want)
		}
		if s.Momentum(0) != 0.95 {
			t.Errorf("first momentum %v, want 0.95", s.Momentum(0))
		}
	}
}

func TestPlateauStateRoundTrip(t *testing.T) {
	c := DefaultPlateau()
	c.Patience, c.Cooldown, c.Factor = 2, 3, 0.5
	metrics := []float64{5, 4, 4, 4, 4, 3.9, 3.9, 3.9, 3.9, 3.9, 3.9, 3.9, 3.5, 3.6, 3.7}
	for cut := 0; cut <= len(metrics); cut++ {
		a := must(NewPlateau(c))
		for _, m := range metrics[:cut] {
			a.Observe(m)
		}
		st := a.State()
		b := must(NewPlateau(c))
		if err := b.SetState(st); err != nil {
			t.Fatalf("cut %d: SetState(State()) = %v", cut, err)
		}
		if !maps.Equal(b.State(), st) {
			t.Fatalf("cut %d: state %v after restoring %v", cut, b.State(), st)
		}
		// The restored schedule continues exactly as the original.
		for i, m := range metrics[cut:] {
			ra, rb := a.Observe(m), b.Observe(m)
			if ra != rb || a.LR(0, 0.1) != b.LR(0, 0.1) {
				t.Fatalf("cut %d, observation %d: diverged", cut, cut+i)
			}
		}
		if !maps.Equal(a.State(), b.State()) {
			t.Fatalf("cut %d: final states %v and %v differ", cut, a.State(), b.State())
		}
	}
	// Before any observation best is +Inf (Min) / -Inf (Max), and restores.
	for _, mode := range []Mode{Min, Max} {
		c.Mode = mode
		p := must(NewPlateau(c))
		st := p.State()
		if !math.IsInf(st["best"], 1-2*int(mode)) {
			t.Errorf("mode %d: initial best %v", mode, st["best"])
		}
		if err := must(NewPlateau(c)).SetState(st); err != nil {
			t.Errorf("mode %d: %v", mode, err)
		}
	}
}

func TestPlateauSetStateRejects(t *testing.T) {
	c := DefaultPlateau()
	c.Patience, c.Cooldown = 3, 2
	good := map[string]float64{"best": 0.5, "num_bad_epochs": 2, "cooldown_counter": 1, "last_epoch": 20, "reductions": 3}
	with := func(k string, v float64) map[string]float64 {
		m := maps.Clone(good)
		m[k] = v
		return m
	}
	without := func(k string) map[string]float64 {
		m := maps.Clone(good)
		delete(m, k)
		return m
	}
	bad := map[string]map[string]float64{
		"nil":                 nil,
		"empty":               {},
		"missing best":        without("best"),
		"missing reductions":  without("reductions"),
		"unknown key":         with("lr", 0.1),
		"renamed key":         func() map[string]float64 { m := without("last_epoch"); m["epoch"] = 20; return m }(),
		"best NaN":            with("best", math.NaN()),
		"num_bad negative":    with("num_bad_epochs", -1),
		"num_bad fractional":  with("num_bad_epochs", 1.5),
		"num_bad > patience":  with("num_bad_epochs", 4),
		"num_bad NaN":         with("num_bad_epochs", math.NaN()),
		"cooldown > config":   with("cooldown_counter", 3),
		"cooldown Inf":        with("cooldown_counter", math.Inf(1)),
		"last_epoch huge":     with("last_epoch", 1e300),
		"last_epoch negative": with("last_epoch", -20),
		"reductions > epochs": with("reductions", 21),
		"reductions -0.5":     with("reductions", -0.5),
	}
	p := must(NewPlateau(c))
	if err := p.SetState(good); err != nil {
		t.Fatalf("good state rejected: %v", err)
	}
	for name, m := range bad {
		err := p.SetState(m)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !errors.Is(err, errState) || !strings.Contains(err.Error(), "Plateau.SetState") {
			t.Errorf("%s: error %q", name, err)
		}
		if !maps.Equal(p.State(), good) {
			t.Fatalf("%s: state changed to %v", name, p.State())
		}
	}
}

func TestWarmupState(t *testing.T) {
	// Stateless inner: empty state only.
	w := must(NewWarmup(must(NewCosine(10, 0)), 5, 0.1))
	if st := w.State(); len(st) != 0 {
		t.Errorf("stateless warm-up state %v", st)
	}
	if err := w.SetState(w.State()); err != nil {
		t.Error(err)
	}
	if err := w.SetState(nil); err != nil {
		t.Error(err)
	}
	if err := w.SetState(map[string]float64{"best": 1}); err == nil {
		t.Error("stateless warm-up accepted a key")
	}
	// Plateau inner: its state, its validation.
	c := DefaultPlateau()
	c.Patience = 0
	p := must(NewPlateau(c))
	wp := must(NewWarmup(p, 3, 0.5))
	if wp.Inner() != Schedule(p) {
		t.Error("Inner is not the wrapped schedule")
	}
	wp.ObserveLoss(1) // forwarded to p
	p.Observe(2)
	st := wp.State()
	if st["reductions"] != 1 {
		t.Errorf("state %v, want 1 reduction", st)
	}
	if got := wp.LR(2, 1); math.Abs(got-5.0/6) > 1e-15 {
		t.Errorf("last warm-up lr %v, want 5/6", got)
	}
	if got, want := wp.LR(3, 1), 0.1; math.Abs(got-want) > 1e-16 {
		t.Errorf("after warm-up lr %v, want %v", got, want)
	}
	q := must(NewPlateau(c))
	wq := must(NewWarmup(q, 3, 0.5))
	if err := wq.SetState(st); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(q.State(), st) {
		t.Errorf("inner state %v, want %v", q.State(), st)
	}
	if err := wq.SetState(map[string]float64{}); err == nil {
		t.Error("empty state accepted for a plateau inner")
	}
}

func TestPlateauNaNMetricIsBad(t *testing.T) {
	c := DefaultPlateau()
	c.Patience = 1
	p := must(NewPlateau(c))
	p.Observe(1)
	if p.Observe(math.NaN()) {
		t.Fatal("reduced after one bad observation with patience 1")
	}
	if !p.Observe(math.NaN()) {
		t.Fatal("two NaN metrics did not reduce with patience 1")
	}
	if p.Best() != 1 {
		t.Errorf("best %v, want 1", p.Best())
	}
}

func TestPlateauMinLRAndEps(t *testing.T) {
	c := DefaultPlateau()
	c.Patience, c.MinLR = 0, 0.01
	p := must(NewPlateau(c))
	for i := 0; i < 50; i++ {
		p.Observe(1)
	}
	if p.Reductions() != 49 {
		t.Fatalf("%d reductions", p.Reductions())
	}
	// Per-base replay: 1 → 0.1 → 0.01 (clamped), 0.05 → 0.01, 0.005 stays.
	for base, want := range map[float64]float64{1: 0.01, 0.05: 0.01, 0.005: 0.005} {
		if got := p.LR(0, base); math.Abs(got-want) > 1e-15 {
			t.Errorf("base %v: lr %v, want %v", base, got, want)
		}
	}
	// Eps=0 and MinLR=0: halves until a halving no longer changes the rate.
	c = DefaultPlateau()
	c.Patience, c.Eps, c.Factor = 0, 0, 0.5
	p = must(NewPlateau(c))
	for i := 0; i < 2000; i++ {
		p.Observe(1)
	}
	if got := p.LR(0, 1); got != 0 {
		t.Errorf("lr after 1999 halvings %v, want 0", got)
	}
}

func TestPlateauConcurrent(t *testing.T) {
	p := must(NewPlateau(DefaultPlateau()))
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				if g == 0 {
					p.Observe(float64(i % 7))
				} else {
					_ = p.LR(i, 0.1)
					_ = p.State()
				}
			}
		}()
	}
	wg.Wait()
}

func TestErrorsNameFunction(t *testing.T) {
	_, err := NewCosine(0, 0)
	if err == nil || !strings.Contains(err.Error(), "NewCosine") || !strings.Contains(err.Error(), "0") {
		t.Errorf("error %v", err)
	}
}
