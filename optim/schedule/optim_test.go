package schedule_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/descent-go/descent/kernels"
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

// End to end: an SGD optimizer with two groups (PyTorch's base rates) driven
// by a schedule uses, update after update, the rates PyTorch 1.13 records
// (testdata/pytorch_lr.json), with the plateau fed through
// Optimizer.ObserveLoss.
func TestOptimizerUsesPyTorchRates(t *testing.T) {
	c := schedule.DefaultPlateau()
	c.Patience, c.Factor = 3, 0.5
	plateau, err := schedule.NewPlateau(c)
	if err != nil {
		t.Fatal(err)
	}
	cos, err := schedule.NewCosine(90, 1e-4)
	if err != nil {
		t.Fatal(err)
	}
	warm, err := schedule.NewWarmup(cos, 10, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	ref := loadRef(t)
	for name, s := range map[string]optim.Schedule{
		"warmup/10/cosine": warm,
		"plateau/min/rel":  plateau,
	} {
		want := ref[name]
		groups := make([]optim.SGDGroup, len(want.Bases))
		for g, base := range want.Bases {
			groups[g] = optim.SGDGroup{
				Params:   []optim.Param{optim.Float64(fmt.Sprint("w", g), make([]float64, 3), make([]float64, 3))},
				Hyper:    kernels.SGD{LR: base},
				Schedule: s,
			}
		}
		o, err := optim.NewSGD(groups)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < want.Steps; k++ {
			if _, err := o.Step(); err != nil {
				t.Fatalf("%s: step %d: %v", name, k, err)
			}
			for g := range want.Bases {
				if got, w := o.LR(g), want.LR[k][g]; math.Abs(got-w) > 1e-12*math.Abs(w) {
					t.Errorf("%s: update %d group %d: lr %v, PyTorch %v", name, k, g, got, w)
				}
			}
			if want.Metrics != nil {
				o.ObserveLoss(want.Metrics[k])
			}
		}
		o.Close()
	}
}

type refCase struct {
	Bases   []float64   `json:"base_lrs"`
	Steps   int         `json:"steps"`
	LR      [][]float64 `json:"lr"`
	Metrics []float64   `json:"metrics"`
	Name    string      `json:"name"`
}

func loadRef(t *testing.T) map[string]refCase {
	b, err := os.ReadFile("testdata/pytorch_lr.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct{ Cases []refCase }
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	m := map[string]refCase{}
	for _, c := range f.Cases {
		m[c.Name] = c
	}
	return m
}
