package train_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/train"
)

func TestOptimSpecValues(t *testing.T) {
	for _, c := range []struct {
		spec train.OptimSpec
		want optim.Values // the keys checked
		str  string
	}{
		{train.OptimSpec{Kind: "ADAM", LR: 0.01}, optim.Values{"lr": 0.01, "beta1": 0.9, "weight_decay": 0}, "adam(lr=0.01, beta1=0.9, beta2=0.999, wd=0)"},
		{train.OptimSpec{Kind: train.AdamW, LR: 0.01}, optim.Values{"weight_decay": 0, "decoupled": 1}, "adamw(lr=0.01, beta1=0.9, beta2=0.999, wd=0)"},
		{train.OptimSpec{Kind: train.SGD, LR: 0.1, Beta1: 0.5}, optim.Values{"momentum": 0}, "sgd(lr=0.1, wd=0)"},
		{train.OptimSpec{Kind: train.Nesterov, LR: 0.1}, optim.Values{"momentum": 0.9, "nesterov": 1}, "nesterov(lr=0.1, momentum=0.9, wd=0)"},
		{train.OptimSpec{Kind: "lion", LR: 1e-3, Beta2: 0.95}, optim.Values{"beta1": 0.9, "beta2": 0.95}, "lion(lr=0.001, beta1=0.9, beta2=0.95, wd=0)"},
		{train.OptimSpec{Kind: "rmsprop", LR: 0.01, Hyper: map[string]float64{"centered": 1, "alpha": 0.9}},
			optim.Values{"centered": 1, "alpha": 0.9, "momentum": 0}, "rmsprop(lr=0.01, alpha=0.9, centered=true, wd=0)"},
		{train.OptimSpec{Kind: "adagrad", LR: 0.1}.Set("lr_decay", 0.01), optim.Values{"lr_decay": 0.01}, "adagrad(lr=0.1, lr_decay=0.01, wd=0)"},
	} {
		v, err := c.spec.Values()
		if err != nil {
			t.Errorf("%+v: %v", c.spec, err)
			continue
		}
		for k, x := range c.want {
			if v[k] != x {
				t.Errorf("%+v: %s = %v, want %v", c.spec, k, v[k], x)
			}
		}
		if s := c.spec.String(); s != c.str {
			t.Errorf("String() = %s, want %s", s, c.str)
		}
	}
	// Set: a zero goes to Hyper, so that it is used as given.
	s := train.OptimSpec{Kind: train.Momentum}.Set("momentum", 0.5)
	if s.Momentum != 0.5 || s.Hyper != nil {
		t.Errorf("%+v", s)
	}
	s = s.Set("momentum", 0)
	if v, _ := s.Values(); v["momentum"] != 0 || s.Momentum != 0.5 {
		t.Errorf("%+v: momentum %v", s, v["momentum"])
	}
	if s = s.Set("momentum", 0.7); s.Momentum != 0.7 || len(s.Hyper) != 0 {
		t.Errorf("%+v", s)
	}
	// Errors: unknown kind, unknown or fixed key in Hyper, out of range.
	md := linear.NewLeastSquares[float64](2, linear.Options{})
	tt := train.New(md, train.Config{})
	for _, c := range []struct {
		spec train.OptimSpec
		want string
	}{
		{train.OptimSpec{Kind: "adadelta"}, `unknown optimizer "adadelta"`},
		{train.OptimSpec{Kind: "lion", Hyper: map[string]float64{"alpha": 1}}, `lion has no hyper-parameter "alpha"`},
		{train.OptimSpec{Kind: "adamw", Hyper: map[string]float64{"decoupled": 0}}, "adamw fixes decoupled"},
		{train.OptimSpec{Kind: "rmsprop", LR: 0.1, Hyper: map[string]float64{"alpha": 2}}, "alpha 2 must be in [0, 1]"},
	} {
		if err := tt.Build(c.spec, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.spec, err, c.want)
		}
		if _, err := c.spec.Values(); err == nil {
			t.Errorf("%+v: Values accepted it", c.spec)
		}
	}
	// JSON round trip, Hyper included; older JSON (no Hyper) reads.
	in := train.OptimSpec{Kind: "rmsprop", LR: 0.01, Hyper: map[string]float64{"centered": 1}}
	b, _ := json.Marshal(in)
	var out train.OptimSpec
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(in, out) {
		t.Errorf("%s: %+v %v", b, out, err)
	}
	var old train.OptimSpec
	if err := json.Unmarshal([]byte(`{"Kind":"adam","LR":0.01,"Momentum":0.9,"Beta1":0.9,"Beta2":0.999,"Eps":0,"WeightDecay":0,"Workers":0}`), &old); err != nil || old.Hyper != nil || old.String() != "adam(lr=0.01, beta1=0.9, beta2=0.999, wd=0)" {
		t.Errorf("%+v %v", old, err)
	}
}

// Every registered algorithm trains through a spec: the loss falls.
func TestEveryAlgorithmTrains(t *testing.T) {
	tr, _, cols, classes := digits(t)
	for _, a := range optim.Algorithms() {
		tt := train.New(softmax(cols, classes), train.Config{Epochs: 3, BatchSize: 32, Seed: 1})
		if err := tt.Build(train.OptimSpec{Kind: a.Name, LR: a.TrainLR}, nil); err != nil {
			t.Fatal(err)
		}
		h, err := tt.Fit(tr, nil)
		if err != nil {
			t.Fatalf("%s: %v", a.Name, err)
		}
		first, last := h.Epochs[0].TrainLoss, h.Epochs[len(h.Epochs)-1].TrainLoss
		t.Logf("%-8s lr %-6g loss %.4f → %.4f", a.Name, a.TrainLR, first, last)
		if !(last < 0.5*first) {
			t.Errorf("%s: loss %g → %g", a.Name, first, last)
		}
	}
}
