package tune_test

import (
	"context"
	"strings"
	"testing"

	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/tune"
)

// Every registered algorithm has a default grid and random space, read from
// its descriptor, whose trials build.
func TestEveryAlgorithmSpace(t *testing.T) {
	names := optim.Names()
	grid := tune.Grid(tune.Space{Optimizers: names})
	if len(grid) != 3*len(names) { // each kind: its 3 default learning rates
		t.Fatalf("%d trials", len(grid))
	}
	random, err := tune.Random(tune.Ranges{Optimizers: names}, 200, 3)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, tr := range append(grid, random...) {
		v, err := tr.Optim.Values()
		if err != nil {
			t.Fatalf("%v: %v", tr, err)
		}
		kinds[tr.Optim.Kind]++
		a, _ := optim.Lookup(tr.Optim.Kind)
		for _, p := range a.Hyper {
			if !p.Range.Contains(v[p.Key]) && !p.Bool {
				t.Errorf("%v: %s = %v outside %v", tr, p.Key, v[p.Key], p.Range)
			}
		}
		switch tr.Optim.Kind { // spot checks of the descriptors' hints
		case "rmsprop":
			if v["alpha"] < 0.9 || v["alpha"] > 0.999 || v["momentum"] != 0 || v["centered"] != 0 {
				t.Errorf("%v", tr)
			}
		case "lion":
			if v["lr"] < 1e-5 || v["lr"] > 0.1 || v["beta2"] < 0.9 || v["beta2"] > 0.999 {
				t.Errorf("%v", tr)
			}
		case "adamw":
			if v["weight_decay"] != 0.01 {
				t.Errorf("%v: weight decay not the default", tr)
			}
		}
	}
	if len(kinds) != len(names) {
		t.Errorf("kinds %v", kinds)
	}
}

// Hyper names any hyper-parameter, for the kinds that have it.
func TestSpaceHyper(t *testing.T) {
	trials := tune.Grid(tune.Space{Optimizers: []string{"rmsprop", "adagrad"}, LR: []float64{0.01},
		Hyper: map[string][]float64{"centered": {0, 1}, "eps": {1e-8, 1e-6}}})
	// rmsprop: 2 centered × 2 eps; adagrad: 2 eps.
	if len(trials) != 6 {
		t.Fatalf("%d trials: %v", len(trials), trials)
	}
	if s := trials[1].Optim.String(); s != "rmsprop(lr=0.01, alpha=0.99, centered=true, wd=0)" {
		t.Errorf("trial 1: %s", s)
	}
	rs, err := tune.Random(tune.Ranges{Optimizers: []string{"rmsprop"}, Hyper: map[string]tune.Range{"alpha": {Min: 0.01, Max: 0.02}, "momentum": {Min: 0.1, Max: 0.2}}}, 20, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range rs {
		v, _ := tr.Optim.Values()
		if v["alpha"] < 0.98 || v["alpha"] > 0.99 || v["momentum"] < 0.1 || v["momentum"] > 0.2 { // α's range is of 1 − α
			t.Errorf("%v", tr)
		}
	}
	if _, err := tune.Random(tune.Ranges{Hyper: map[string]tune.Range{"alpha": {Min: 0, Max: 1, Log: true}}}, 1, 1); err == nil {
		t.Error("bad Hyper range accepted")
	}

	data, mk := load(t, "iris")
	mixed := append(trials[2:4:4], tune.Grid(tune.Space{Optimizers: []string{"lion"}, LR: []float64{3e-3}})...)
	for i := range mixed {
		mixed[i].Index = i
	}
	tab, err := tune.Search(context.Background(), tune.Config{Model: mk, Data: data, Folds: 3, Epochs: 3, Standardize: true, Seed: 1}, mixed)
	if err != nil {
		t.Fatal(err)
	}
	out := tab.String()
	t.Log("\n" + out)
	for _, h := range []string{"rank  optimizer  lr  ", "alpha", "beta1", "eps", "centered", "wd  batch"} {
		if !strings.Contains(out, h) {
			t.Errorf("no %q in the header", h)
		}
	}
	if best, ok := tab.Best(); !ok || best.MeanAcc < 0.7 {
		t.Errorf("best %+v", best)
	}
}
