package tune_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/descent-go/descent/models/mlp"
	"github.com/descent-go/descent/train"
	"github.com/descent-go/descent/tune"
)

// A search over Config.Net gives, for a linear model wrapped as a
// train.Model, the very table of Config.Model; and a network of one's own
// (models/mlp) is searched, pruned and ranked the same whatever the
// parallelism.
func TestSearchNet(t *testing.T) {
	d, mk := load(t, "wine")
	trials := tune.Grid(tune.Space{Optimizers: []string{"sgd", "adam"}, LR: []float64{0.001, 0.1}, BatchSize: []int{16}})
	base := tune.Config{Data: d, Folds: 3, Epochs: 4, Standardize: true, Seed: 7, Parallel: 2}
	lin := base
	lin.Model = mk
	want, err := tune.Search(context.Background(), lin, trials)
	if err != nil {
		t.Fatal(err)
	}
	net := base
	net.Net = func() train.Model { return train.NewLinear(mk()) }
	got, err := tune.Search(context.Background(), net, trials)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Results, want.Results) || got.Classifier != want.Classifier {
		t.Errorf("Net's table differs from Model's:\n%v\nwant\n%v", got, want)
	}

	cfg := base
	cfg.Epochs, cfg.Scheduler = 9, tune.ASHA{Eta: 3}
	cfg.Net = func() train.Model {
		n, err := mlp.New(mlp.Config{Features: d.Cols, Hidden: 16, Classes: d.Classes, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	var tables []string
	for _, par := range []int{1, 3} {
		cfg.Parallel = par
		tab, err := tune.Search(context.Background(), cfg, trials)
		if err != nil {
			t.Fatal(err)
		}
		if _, pruned, _ := tab.Counts(); !tab.Classifier || pruned == 0 {
			t.Errorf("mlp table: classifier %v, %d pruned", tab.Classifier, pruned)
		}
		tables = append(tables, tab.String())
	}
	if tables[0] != tables[1] {
		t.Errorf("the mlp search depends on the parallelism:\n%s\n%s", tables[0], tables[1])
	}
	both := base
	both.Model, both.Net = mk, cfg.Net
	if _, err := tune.Search(context.Background(), both, trials); err == nil || !strings.Contains(err.Error(), "exactly one") {
		t.Errorf("Model and Net: %v", err)
	}
}
