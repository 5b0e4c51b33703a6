package schedule_test

import (
	"testing"

	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/optim/schedule"
)

// Every schedule plugs into optim: the method sets are optim's interfaces.
var (
	_ optim.Schedule = schedule.Constant{}
	_ optim.Schedule = (*schedule.Step)(nil)
	_ optim.Schedule = (*schedule.MultiStep)(nil)
	_ optim.Schedule = (*schedule.Exponential)(nil)
	_ optim.Schedule = (*schedule.Cosine)(nil)
	_ optim.Schedule = (*schedule.Warmup)(nil)
	_ optim.Schedule = (*schedule.OneCycle)(nil)
	_ optim.Schedule = (*schedule.Plateau)(nil)

	_ optim.Stateful = (*schedule.Plateau)(nil)
	_ optim.Stateful = (*schedule.Warmup)(nil)

	_ optim.LossObserver = (*schedule.Plateau)(nil)
	_ optim.LossObserver = (*schedule.Warmup)(nil)

	// optim's interfaces and this package's are interchangeable.
	_ schedule.Schedule     = optim.Schedule(nil)
	_ schedule.Stateful     = optim.Stateful(nil)
	_ schedule.LossObserver = optim.LossObserver(nil)
)

// optim requires LR not to allocate, so that Step stays allocation-free.
func TestLRDoesNotAllocate(t *testing.T) {
	must := func(s optim.Schedule, err error) optim.Schedule {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	cos := must(schedule.NewCosine(100, 1e-4))
	p := must(schedule.NewPlateau(schedule.DefaultPlateau())).(*schedule.Plateau)
	for i := 0; i < 40; i++ {
		p.Observe(1) // some reductions to replay
	}
	scheds := map[string]optim.Schedule{
		"constant":       schedule.Constant{},
		"step":           must(schedule.NewStep(10, 0.5)),
		"multistep":      must(schedule.NewMultiStep([]int{5, 50}, 0.1)),
		"exponential":    must(schedule.NewExponential(0.99)),
		"cosine":         cos,
		"warmup":         must(schedule.NewWarmup(cos, 10, 0.1)),
		"onecycle":       must(schedule.NewOneCycle(schedule.DefaultOneCycle(0.1, 100))),
		"plateau":        p,
		"warmup/plateau": must(schedule.NewWarmup(p, 10, 0.1)),
	}
	for name, s := range scheds {
		step := 0
		sink := 0.0
		if a := testing.AllocsPerRun(100, func() { sink += s.LR(step, 0.1); step++ }); a != 0 {
			t.Errorf("%s: %v allocations per LR", name, a)
		}
		_ = sink
	}
}
