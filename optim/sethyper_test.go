package optim

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestSetHyper(t *testing.T) {
	mk := func(h Values) (*Optimizer, []float32, []float32) {
		w, g := []float32{1, -2, 3, 0.5}, make([]float32, 4)
		o, err := New("adam", []Group{{Params: []Param{Float32("w", w, g)}, Hyper: h}})
		if err != nil {
			t.Fatal(err)
		}
		return o, w, g
	}
	step := func(o *Optimizer, g []float32, s int) {
		for i := range g {
			g[i] = float32(s-i) * 0.25
		}
		if _, err := o.Step(); err != nil {
			t.Fatal(err)
		}
	}
	a, wa, ga := mk(Values{"lr": 0.01})
	b, wb, gb := mk(Values{"lr": 0.01})
	defer a.Close()
	defer b.Close()
	for s := range 3 {
		step(a, ga, s)
		step(b, gb, s)
	}
	if err := a.SetHyper(0, Values{"lr": 0.002, "beta1": 0.8, "weight_decay": 0.1}); err != nil {
		t.Fatal(err)
	}
	if h := a.Hyper(0); h["lr"] != 0.002 || h["beta1"] != 0.8 || h["weight_decay"] != 0.1 || h["beta2"] != 0.999 {
		t.Fatalf("Hyper after SetHyper: %v", h)
	}
	// The change is what a checkpoint of it restores: an optimizer loaded
	// from it takes the same next steps.
	var ck bytes.Buffer
	if _, err := a.WriteTo(&ck); err != nil {
		t.Fatal(err)
	}
	c, wc, gc := mk(Values{"lr": 0.01})
	defer c.Close()
	rc, err := ReadCheckpoint(bytes.NewReader(ck.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Restore(rc); err != nil {
		t.Fatal(err)
	}
	step(a, ga, 3)
	step(b, gb, 3)
	step(c, gc, 3)
	if slices.Equal(wa, wb) {
		t.Error("SetHyper changed nothing in the next step")
	}
	if !slices.Equal(wa, wc) {
		t.Errorf("after SetHyper %v, restored from its checkpoint %v", wa, wc)
	}
	// Refused, nothing changed.
	before := a.Hyper(0)
	for _, c := range []struct {
		v    Values
		want string
	}{
		{Values{"lr": -1}, "learning rate -1"},
		{Values{"amsgrad": 1}, "amsgrad"},
		{Values{"momentum": 0.9}, `no hyper-parameter "momentum"`},
		{Values{"lr": 0.5, "beta1": 2}, "beta1"},
	} {
		if err := a.SetHyper(0, c.v); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SetHyper(%v): %v, want %q", c.v, err, c.want)
		}
		if h := a.Hyper(0); !mapsEqual(h, before) {
			t.Errorf("a refused SetHyper changed %v to %v", before, h)
		}
	}
	if err := a.SetHyper(1, Values{"lr": 1}); err == nil || !strings.Contains(err.Error(), "group 1 of 1") {
		t.Errorf("group 1: %v", err)
	}
	// SGD's momentum 0 (no buffer) cannot become momentum.
	s, _ := New("sgd", []Group{{Params: []Param{Float32("w", []float32{1}, []float32{0})}, Hyper: Values{"lr": 0.1}}})
	defer s.Close()
	if err := s.SetHyper(0, Values{"momentum": 0.9}); err == nil || !strings.Contains(err.Error(), "momentum") {
		t.Errorf("sgd momentum 0 → 0.9: %v", err)
	}
	if err := s.SetHyper(0, Values{"lr": 0.5}); err != nil || s.LR(0) != 0.5 {
		t.Errorf("lr before the first step: %v, LR %v", err, s.LR(0))
	}
}

func mapsEqual(a, b Values) bool {
	if len(a) != len(b) {
		return false
	}
	for k, x := range a {
		if y, ok := b[k]; !ok || x != y {
			return false
		}
	}
	return true
}
