package optim

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// Sizes of the storage tests' tensors: small ones (full-precision state
// under State8Bit), a partial block, and one of several chunks with a
// partial last block — two chunks under -short (the race detector's run)
// and under qemu-user, three otherwise.
func storageSizes() []int {
	if testing.Short() || os.Getenv("QEMU_CPU") != "" {
		return []int{7, 300, DefaultMin8Bit + 100, ChunkElems + 333}
	}
	return []int{7, 300, DefaultMin8Bit + 100, 2*ChunkElems + 333}
}

// gradAt is the gradient of element i at step s: deterministic, so that
// runs over different storage see the same values.
func gradAt(s, i int) float64 {
	r := rand.New(rand.NewPCG(uint64(s), uint64(i)))
	return r.NormFloat64() * math.Exp(r.NormFloat64())
}

// storageRun is a set of parameters of one storage kind.
type storageRun struct {
	d32, g32 [][]float32
	d64, g64 [][]float64
	d16, g16 [][]uint16
	half     kernels.Half
	params   []Param
}

func newStorageRun(kind string) *storageRun {
	r := &storageRun{}
	for k, n := range storageSizes() {
		name := fmt.Sprintf("w%d", k)
		init := func(i int) float64 { return math.Sin(float64(i+k)) * 0.5 }
		switch kind {
		case "f32":
			d, g := make([]float32, n), make([]float32, n)
			for i := range d {
				d[i] = float32(init(i))
			}
			r.d32, r.g32 = append(r.d32, d), append(r.g32, g)
			r.params = append(r.params, Float32(name, d, g))
		case "f64", "f64g32":
			d := make([]float64, n)
			for i := range d {
				d[i] = float64(float32(init(i)))
			}
			r.d64 = append(r.d64, d)
			if kind == "f64" {
				g := make([]float64, n)
				r.g64 = append(r.g64, g)
				r.params = append(r.params, Float64(name, d, g))
			} else {
				g := make([]float32, n)
				r.g32 = append(r.g32, g)
				r.params = append(r.params, Float64Grad32(name, d, g))
			}
		case "bf16", "f16":
			r.half = kernels.BF16
			if kind == "f16" {
				r.half = kernels.F16
			}
			d, g := make([]uint16, n), make([]uint16, n)
			for i := range d {
				d[i] = r.narrow(float32(init(i)))
			}
			r.d16, r.g16 = append(r.d16, d), append(r.g16, g)
			r.params = append(r.params, Half16(name, r.half, d, g))
		}
	}
	return r
}

func (r *storageRun) narrow(x float32) uint16 {
	if r.half == kernels.F16 {
		return kernels.ToF16(x)
	}
	return kernels.ToBF16(x)
}

func (r *storageRun) widen(h uint16) float32 {
	if r.half == kernels.F16 {
		return kernels.FromF16(h)
	}
	return kernels.FromBF16(h)
}

// fill writes step s's gradients, rounded to each run's gradient type.
func (r *storageRun) fill(s int) {
	for k, g := range r.g32 {
		for i := range g {
			g[i] = float32(gradAt(s, i+k))
		}
	}
	for k, g := range r.g64 {
		for i := range g {
			g[i] = float64(float32(gradAt(s, i+k)))
		}
	}
	for k, g := range r.g16 {
		for i := range g {
			g[i] = r.narrow(float32(gradAt(s, i+k)))
		}
	}
}

// storageVariants are the hyper-parameters the storage tests run, per
// algorithm: the defaults and the variants that change the state kept.
// Under -short (the race detector's run, where the conversions run ten
// times slower) only adam, lion and sgd's: one, two and three state
// tensors; the full run has every algorithm.
//
// The per-tensor rules (muon, lamb, schedulefree) have no mixed steps: they
// get no variants here, and TestStorageRefused checks their error.
func storageVariants(a *Algorithm) map[string]Values {
	if h, _ := a.rule.newHyper(a, nil); !h.mixed() {
		return nil
	}
	if testing.Short() && a.Name != "adam" && a.Name != "lion" && a.Name != "sgd" {
		return nil
	}
	vs := map[string]Values{"defaults": nil}
	switch a.Name {
	case "sgd":
		vs["momentum"] = Values{"momentum": 0.9, "nesterov": 1}
	case "adam":
		vs["amsgrad"] = Values{"amsgrad": 1, "weight_decay": 0.01}
	case "rmsprop":
		vs["centered-momentum"] = Values{"centered": 1, "momentum": 0.5}
	}
	return vs
}

// TestFloat64Grad32: float64 data with a float32 gradient steps exactly as
// float64 data with the gradient widened (every algorithm, any workers).
func TestFloat64Grad32(t *testing.T) {
	for _, a := range Algorithms() {
		for vn, v := range storageVariants(a) {
			t.Run(a.Name+"/"+vn, func(t *testing.T) {
				want, got := newStorageRun("f64"), newStorageRun("f64g32")
				ow, err := a.New([]Group{{Params: want.params, Hyper: v}}, WithClipNorm(50))
				if err != nil {
					t.Fatal(err)
				}
				og, err := a.New([]Group{{Params: got.params, Hyper: v}}, WithWorkers(3), WithClipNorm(50))
				if err != nil {
					t.Fatal(err)
				}
				for s := range 3 {
					want.fill(s)
					got.fill(s)
					if _, err := ow.Step(); err != nil {
						t.Fatal(err)
					}
					if _, err := og.Step(); err != nil {
						t.Fatal(err)
					}
				}
				for k := range want.d64 {
					if !slices.Equal(want.d64[k], got.d64[k]) {
						t.Fatalf("tensor %d differs", k)
					}
				}
			})
		}
	}
}

// TestHalfParams: 16-bit parameters step as float32 parameters would with
// the 16-bit gradients widened (the master weights bit for bit), and the
// 16-bit data is the master rounded to nearest even after every step.
func TestHalfParams(t *testing.T) {
	for _, kind := range []string{"bf16", "f16"} {
		for _, a := range Algorithms() {
			for vn, v := range storageVariants(a) {
				t.Run(kind+"/"+a.Name+"/"+vn, func(t *testing.T) {
					ref, got := newStorageRun("f32"), newStorageRun(kind)
					for k := range ref.d32 {
						for i := range ref.d32[k] {
							ref.d32[k][i] = got.widen(got.d16[k][i])
						}
					}
					or, err := a.New([]Group{{Params: ref.params, Hyper: v}})
					if err != nil {
						t.Fatal(err)
					}
					og, err := a.New([]Group{{Params: got.params, Hyper: v}}, WithWorkers(2))
					if err != nil {
						t.Fatal(err)
					}
					for s := range 3 {
						got.fill(s)
						for k := range ref.g32 {
							for i := range ref.g32[k] {
								ref.g32[k][i] = got.widen(got.g16[k][i])
							}
						}
						if _, err := or.Step(); err != nil {
							t.Fatal(err)
						}
						if _, err := og.Step(); err != nil {
							t.Fatal(err)
						}
						for k := range ref.d32 {
							master := og.c.tensors[k].(*mixedTensor[float32]).x.P
							if !slices.Equal(ref.d32[k], master) {
								t.Fatalf("step %d tensor %d: master weights differ from the float32 run", s, k)
							}
							for i, x := range master {
								if got.d16[k][i] != got.narrow(x) {
									t.Fatalf("step %d tensor %d[%d]: %#04x, want %#04x", s, k, i, got.d16[k][i], got.narrow(x))
								}
							}
						}
					}
				})
			}
		}
	}
}

// TestState8Bit: with 8-bit state, every step is the float32 step on the
// state's decoded values, the new state requantized per block — checked
// against a float32 optimizer whose state is replaced by its 8-bit round
// trip after every step. Small tensors keep float32 state and step as the
// float32 run does.
func TestState8Bit(t *testing.T) {
	for _, kind := range []string{"f32", "bf16"} {
		for _, a := range Algorithms() {
			for vn, v := range storageVariants(a) {
				t.Run(kind+"/"+a.Name+"/"+vn, func(t *testing.T) {
					ref, got := newStorageRun(kind), newStorageRun(kind)
					or, err := a.New([]Group{{Params: ref.params, Hyper: v}})
					if err != nil {
						t.Fatal(err)
					}
					og, err := a.New([]Group{{Params: got.params, Hyper: v, State: State8Bit}}, WithWorkers(3))
					if err != nil {
						t.Fatal(err)
					}
					for s := range 4 {
						ref.fill(s)
						got.fill(s)
						if _, err := or.Step(); err != nil {
							t.Fatal(err)
						}
						if _, err := og.Step(); err != nil {
							t.Fatal(err)
						}
						for k, tn := range or.c.tensors {
							quant := storageSizes()[k] >= DefaultMin8Bit
							for i, st := range a.State {
								var s32 []float32
								switch x := tn.stateOf(i).(type) {
								case []float32:
									s32 = x
								}
								if s32 == nil {
									continue
								}
								gs := og.c.tensors[k].stateOf(i)
								q, isQ := gs.(*kernels.Q8)
								if isQ != quant {
									t.Fatalf("tensor %d (%d elements) %s: quantized %v", k, storageSizes()[k], st.Name, isQ)
								}
								if !quant {
									continue
								}
								// round-trip the reference's state and compare the codes
								m := kernels.Q8Unsigned
								if st.Signed {
									m = kernels.Q8Signed
								}
								want := kernels.NewQ8(m, len(s32))
								want.Encode(s32)
								if !bytes.Equal(want.Codes, q.Codes) || !slices.Equal(bits32(want.Absmax), bits32(q.Absmax)) {
									t.Fatalf("step %d tensor %d %s: 8-bit state differs from the round trip of the float32 step", s, k, st.Name)
								}
								want.Decode(s32)
							}
						}
						for k := range got.params {
							if !slices.Equal(got.d32At(k), ref.d32At(k)) || !slices.Equal(got.d16At(k), ref.d16At(k)) {
								t.Fatalf("step %d tensor %d: parameters differ", s, k)
							}
						}
					}
				})
			}
		}
	}
}

func (r *storageRun) d32At(k int) []float32 {
	if r.d32 == nil {
		return nil
	}
	return r.d32[k]
}

func (r *storageRun) d16At(k int) []uint16 {
	if r.d16 == nil {
		return nil
	}
	return r.d16[k]
}

func bits32(x []float32) []uint32 {
	b := make([]uint32, len(x))
	for i, v := range x {
		b[i] = math.Float32bits(v)
	}
	return b
}

// TestStorageCheckpoint: 16-bit parameters with 8-bit state resume bit for
// bit: 3 steps, save, 3 more — against a fresh optimizer that loads the
// checkpoint and takes the same 3 steps; any worker count gives the same
// checkpoint bytes; the checkpoint holds U8 codes, F32 block maxima and
// the float32 master weights; zero allocations per step.
func TestStorageCheckpoint(t *testing.T) {
	dir := t.TempDir()
	names := []string{"adam", "adamw", "lion", "momentum"}
	if testing.Short() { // the race detector's run: see storageVariants
		names = names[:1]
	}
	for _, name := range names {
		a, _ := Lookup(name)
		t.Run(name, func(t *testing.T) {
			run := func(workers int) (*storageRun, *Optimizer) {
				r := newStorageRun("bf16")
				o, err := a.New([]Group{{Params: r.params, State: State8Bit}}, WithWorkers(workers), WithClipNorm(100))
				if err != nil {
					t.Fatal(err)
				}
				for s := range 3 {
					r.fill(s)
					if _, err := o.Step(); err != nil {
						t.Fatal(err)
					}
				}
				return r, o
			}
			r1, o1 := run(1)
			_, o3 := run(3)
			ck := checkpointBytes(t, o1)
			if !bytes.Equal(ck, checkpointBytes(t, o3)) {
				t.Fatal("checkpoints differ between 1 and 3 workers")
			}
			path := filepath.Join(dir, name+".safetensors")
			if err := o1.Save(path); err != nil {
				t.Fatal(err)
			}
			c, err := ReadCheckpoint(bytes.NewReader(ck))
			if err != nil {
				t.Fatal(err)
			}
			dt := map[string]string{}
			for _, tn := range c.File.Tensors {
				dt[tn.Name] = tn.Dtype
			}
			st := "." + a.State[0].Name
			if dt["w3"] != "F32" || dt["w3"+st] != "U8" || dt["w3"+st+SuffixAbsmax] != "F32" || dt["w0"+st] != "F32" {
				t.Fatalf("checkpoint dtypes %v", dt)
			}
			r2 := newStorageRun("bf16")
			o2, err := a.New([]Group{{Params: r2.params, State: State8Bit}}, WithClipNorm(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := o2.Load(path); err != nil {
				t.Fatal(err)
			}
			for k := range r1.d16 {
				if !slices.Equal(r1.d16[k], r2.d16[k]) {
					t.Fatalf("tensor %d: 16-bit data not restored from the master weights", k)
				}
			}
			for s := 3; s < 6; s++ {
				r1.fill(s)
				r2.fill(s)
				o1.Step()
				o2.Step()
			}
			if !bytes.Equal(checkpointBytes(t, o1), checkpointBytes(t, o2)) {
				t.Fatal("resumed run differs")
			}
			for k := range r1.d16 {
				if !slices.Equal(r1.d16[k], r2.d16[k]) {
					t.Fatalf("tensor %d differs after resuming", k)
				}
			}
			// A checkpoint of full-precision state is refused, changing nothing.
			rf := newStorageRun("bf16")
			of, _ := a.New([]Group{{Params: rf.params}})
			if err := of.Save(path); err != nil {
				t.Fatal(err)
			}
			before := checkpointBytes(t, o2)
			if err := o2.Load(path); err == nil {
				t.Fatal("full-precision checkpoint loaded into 8-bit state")
			}
			if !bytes.Equal(before, checkpointBytes(t, o2)) {
				t.Fatal("failed load changed the optimizer")
			}
			if n := testing.AllocsPerRun(5, func() { o2.Step() }); n != 0 {
				t.Fatalf("%v allocations per step", n)
			}
		})
	}
}

// TestStorageErrors: what cannot be stored is refused with a clear error.
func TestStorageErrors(t *testing.T) {
	d, g := make([]uint16, 4), make([]uint16, 4)
	for _, c := range []struct {
		g    Group
		want string
	}{
		{Group{Params: []Param{{Name: "w", Data16: d, Grad16: g}}}, "Half"},
		{Group{Params: []Param{{Name: "w", Data16: d, Grad16: g[:3], Half: kernels.BF16}}}, "len"},
		{Group{Params: []Param{Float32("w", make([]float32, 4), make([]float32, 4))}, Min8Bit: 10}, "without State8Bit"},
		{Group{Params: []Param{Float32("w", make([]float32, 4), make([]float32, 4))}, State: State8Bit, Min8Bit: -1}, "≥ 0"},
		{Group{Params: []Param{Float32("w", make([]float32, 4), make([]float32, 4))}, State: 7}, "unknown state format"},
	} {
		_, err := New("adam", []Group{c.g})
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
			t.Errorf("%+v: error %v, want one containing %q", c.g, err, c.want)
		}
	}
}

// TestStorageRefused: the rules without mixed steps refuse 16-bit
// parameters, float64 data with a float32 gradient and 8-bit state, each
// with an error that names the algorithm and what it does not support;
// the elementwise rules accept all three.
func TestStorageRefused(t *testing.T) {
	mixed := 0
	for _, a := range Algorithms() {
		h, err := a.rule.newHyper(a, nil)
		if err != nil {
			t.Fatal(err)
		}
		shape := []int{8, 4}
		cases := []struct {
			g    Group
			want string
		}{
			{Group{Params: []Param{{Name: "w", Data16: make([]uint16, 32), Grad16: make([]uint16, 32), Half: kernels.BF16, Shape: shape}}}, "16-bit parameters"},
			{Group{Params: []Param{{Name: "w", Data64: make([]float64, 32), Grad32: make([]float32, 32), Shape: shape}}}, "float64 data with a float32 gradient"},
			{Group{Params: []Param{{Name: "w", Data32: make([]float32, 32), Grad32: make([]float32, 32), Shape: shape}}, State: State8Bit, Min8Bit: 1}, "8-bit state"},
		}
		for _, c := range cases {
			_, err := a.New([]Group{c.g})
			switch {
			case h.mixed() && err != nil:
				t.Errorf("%s: %v", a.Name, err)
			case !h.mixed() && (err == nil || !strings.Contains(err.Error(), a.Name+" does not support "+c.want)):
				t.Errorf("%s: error %v, want one saying it does not support %s", a.Name, err, c.want)
			}
		}
		if h.mixed() {
			mixed++
		}
	}
	if mixed < 8 {
		t.Errorf("%d algorithms with mixed steps, want every elementwise one", mixed)
	}
}
