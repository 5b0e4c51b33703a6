package optim

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/descent-go/descent/blas"
)

// pertensorCases are the optimizers FuzzPerTensorStep drives: Muon (with
// an AdamW group), LAMB and Schedule-Free AdamW, with weight decay.
var pertensorCases = []struct {
	alg string
	v   Values
}{
	{"muon", nil},
	{"muon", Values{"nesterov": 0, "ns_steps": 2, "match_rms_adamw": 1}},
	{"lamb", Values{"weight_decay": 0.01}},
	{"schedulefree", Values{"weight_decay": 0.01, "warmup_steps": 2, "r": 1}},
}

// FuzzPerTensorStep drives the per-tensor optimizers with arbitrary
// gradients and matrix shapes (values decoded from the input, possibly
// non-finite or huge): nothing may panic; the parameters and state after
// three steps are bit-identical for 1 and 3 workers (with gonum's BLAS,
// so that the check does not depend on OpenBLAS's threads); with the
// finite check, a non-finite gradient is ErrNonFinite and changes nothing.
func FuzzPerTensorStep(f *testing.F) {
	f.Add(uint8(0), uint8(3), uint8(5), false, []byte("the quick brown fox jumps over the lazy dog"))
	f.Add(uint8(1), uint8(7), uint8(2), true, []byte{0x7f, 0xc0, 0, 0, 0x3f, 0x80, 0, 0})
	f.Add(uint8(2), uint8(1), uint8(1), false, []byte{0, 0, 0, 0})
	f.Add(uint8(3), uint8(4), uint8(4), true, []byte{0x7f, 0x80, 0, 0, 0xff, 0x7f, 0xff, 0xff, 1, 2, 3, 4})
	f.Fuzz(func(t *testing.T, which, r8, c8 uint8, check bool, b []byte) {
		c := pertensorCases[int(which)%len(pertensorCases)]
		rows, cols := int(r8)%9+1, int(c8)%9+1
		mk := func(workers int) (*model, *Optimizer, error) {
			m := newModel(9, []int{rows * cols, cols * 3, 5}, true)
			m.params[0].Shape = []int{rows, cols}
			m.params[1].Shape = []int{cols, 3}
			gs := []Group{{Params: m.params[:2], Hyper: c.v}, {Params: m.params[2:], Hyper: c.v}}
			if c.alg == "muon" {
				aw := Values{"adamw": 1}
				gs[1].Hyper = aw
			}
			opts := []Option{WithWorkers(workers), WithBLAS(blas.Gonum)}
			if check {
				opts = append(opts, WithFiniteCheck())
			}
			o, err := New(c.alg, gs, opts...)
			return m, o, err
		}
		fill := func(m *model, step int) {
			k := step * 7
			for _, p := range m.params {
				for j := range p.Grad32 {
					p.Grad32[j] = value(b, k)
					k++
				}
				for j := range p.Grad64 {
					p.Grad64[j] = float64(value(b, k))
					k++
				}
			}
		}
		var want []byte
		var wm *model
		for _, workers := range []int{1, 3} {
			m, o, err := mk(workers)
			if err != nil {
				t.Fatal(err)
			}
			for step := range 3 {
				fill(m, step)
				before := checkpointBytes(t, o)
				_, err := o.Step()
				if check && err != nil {
					if err != ErrNonFinite || string(before) != string(checkpointBytes(t, o)) {
						t.Fatalf("step %d: %v, or a skipped step changed the state", step, err)
					}
				} else if err != nil {
					t.Fatal(err)
				}
			}
			got := checkpointBytes(t, o)
			o.Close()
			if want == nil {
				want, wm = got, m
				continue
			}
			if string(got) != string(want) {
				sameBits(t, fmt.Sprintf("%s workers=%d", c.alg, workers), wm, m)
				t.Fatalf("%s: state differs between 1 and %d workers", c.alg, workers)
			}
		}
	})
}

// value returns the float32 at word k of b (cycling), or a small default
// when b is shorter than a word.
func value(b []byte, k int) float32 {
	if len(b) < 4 {
		return float32(k%5) * 0.25
	}
	i := (4 * k) % (len(b) - len(b)%4)
	x := math.Float32frombits(binary.LittleEndian.Uint32(b[i:]))
	if k%3 == 0 {
		x = -x
	}
	return x
}
