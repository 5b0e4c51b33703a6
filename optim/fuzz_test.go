package optim

import (
	"bytes"
	"testing"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/safetensors"
)

// fuzzOptimizers returns small optimizers a fuzzed checkpoint is loaded
// into: an AMSGrad one with a loss scaler and a Stateful schedule, an SGD
// one with momentum, and one of every other algorithm (RMSprop centered
// with momentum), all over "a" (float32, 2×3) and "b" (float64, 4).
func fuzzOptimizers(t testing.TB) []*Optimizer {
	params := func() []Param {
		return []Param{
			{Name: "a", Data32: []float32{1, 2, 3, 4, 5, 6}, Grad32: []float32{.1, .2, .3, .4, .5, .6}, Shape: []int{2, 3}},
			Float64("b", []float64{1, -1, 2, -2}, []float64{.5, .25, -.5, 1}),
		}
	}
	h := kernels.DefaultAdam()
	h.AMSGrad = true
	a, err := NewAdam([]AdamGroup{{Params: params(), Hyper: h, Schedule: &decaying{}}}, WithLossScaler(DefaultScaler()), WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSGD([]SGDGroup{{Params: params(), Hyper: kernels.SGD{LR: 0.1, Momentum: 0.9}}}, WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	os := []*Optimizer{a, s}
	for _, alg := range Algorithms() {
		if alg.Kind == KindSGD || alg.Kind == KindAdam {
			continue
		}
		var v Values
		if alg.Name == "rmsprop" {
			v = Values{"centered": 1, "momentum": 0.5}
		}
		gs := []Group{{Params: params(), Hyper: v}}
		if alg.Kind == KindMuon { // "a" on Muon, "b" on AdamW
			ps := params()
			gs = []Group{{Params: ps[:1]}, {Params: ps[1:], Hyper: Values{"adamw": 1}}}
		}
		o, err := alg.New(gs, WithWorkers(1))
		if err != nil {
			t.Fatal(err)
		}
		os = append(os, o)
	}
	return os
}

// FuzzLoadCheckpoint feeds arbitrary bytes to the checkpoint decoder (with
// and without the checksums, so that mutations reach the validation behind
// them) and loads what decodes into small optimizers: nothing may panic,
// and a load that fails must leave the optimizer exactly as it was.
func FuzzLoadCheckpoint(f *testing.F) {
	for _, o := range fuzzOptimizers(f) {
		o.Step()
		o.Step()
		var b bytes.Buffer
		if _, err := o.WriteTo(&b); err != nil {
			f.Fatal(err)
		}
		f.Add(b.Bytes())
		f.Add(b.Bytes()[:b.Len()/2])
	}
	f.Add(st(`{"__metadata__":{"format":"descent.optim","format_version":"1","kind":"sgd","step":"1","groups":"1"}}`, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		safetensors.Parse(b)
		// ReadCheckpoint (header first, then the data, from a stream)
		// accepts what decoding the whole buffer accepts.
		_, err1 := ReadCheckpoint(bytes.NewReader(b))
		_, err2 := decodeCheckpoint(b, true)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("ReadCheckpoint: %v; decodeCheckpoint: %v", err1, err2)
		}
		for _, verify := range []bool{true, false} {
			ck, err := decodeCheckpoint(b, verify)
			if err != nil {
				continue
			}
			for _, o := range fuzzOptimizers(t) {
				var before, after bytes.Buffer
				o.WriteTo(&before)
				if err := o.Restore(ck); err != nil {
					o.WriteTo(&after)
					if !bytes.Equal(before.Bytes(), after.Bytes()) {
						t.Fatalf("failed load (%v) changed the optimizer", err)
					}
					continue
				}
				// A loaded optimizer can step and save.
				o.Step()
				o.WriteTo(&after)
			}
		}
	})
}
