package fuzz

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// The reference is the specification, so it must give the same bits on
// every architecture: fuzzing compares implementations on one machine and
// cannot see a reference that the compiler builds differently elsewhere
// (Go fuses x*y + z into an FMA on arm64, ppc64 and s390x unless the
// product is converted explicitly). TestReferencePortable runs the
// reference of every kernel (through the public API, and every elementwise
// kernel of the catalog in every flag combination through kernels.Bind),
// and the hyper-parameters' Scalars methods, on inputs
// built exactly from integers (no math library calls), hashes the outputs
// (NaN as one token, ±0 distinct) and compares with
// testdata/reference.golden, written on amd64, where Go never fuses:
//
//	go test ./fuzz -run TestReferencePortable -update   # on amd64, after a deliberate change
//	CGO_ENABLED=0 GOARCH=arm64 go test -exec qemu-aarch64 ./fuzz -run TestReferencePortable

var update = flag.Bool("update", false, "rewrite testdata/reference.golden (on amd64)")

const goldenFile = "testdata/reference.golden"

// digest hashes values: NaN as one token, everything else by its bits.
type digest struct{ b []byte }

func (d *digest) add(xs ...float64) {
	for _, x := range xs {
		if x != x {
			d.b = append(d.b, 'N')
			continue
		}
		d.b = binary.LittleEndian.AppendUint64(d.b, math.Float64bits(x))
	}
}

func addT[T float](d *digest, xs []T) {
	for _, x := range xs {
		if x != x {
			d.b = append(d.b, 'N')
			continue
		}
		d.b = binary.LittleEndian.AppendUint64(d.b, bitsOf(x))
	}
}

func (d *digest) sum() string { return fmt.Sprintf("%x", sha256.Sum256(d.b)) }

// exactInputs returns k slices of n values decoded (by value, the fuzz
// decoder) from pseudo-random bytes: moderate values and every special
// class, all built exactly.
func exactInputs[T float](seed uint64, k, n int, nonnegFrom int) [][]T {
	r := rand.New(rand.NewPCG(seed, 77))
	data := make([]byte, 16*k*n+16)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	// Mostly moderate values: bias the class byte.
	for i := 0; i < len(data); i += 3 {
		if data[i]%16 > 8 && r.IntN(4) != 0 {
			data[i] &^= 0x0f
		}
	}
	d := newDecoder(data, n)
	in := make([][]T, k)
	for j := range in {
		in[j] = values[T](d, n, j >= nonnegFrom)
	}
	return in
}

// goldenAdamScalars are raw scalar sets: ordinary ones and extremes, every
// field exactly representable in float32 (so rounding is exact both ways).
var goldenAdamScalars = []kernels.AdamScalars{
	{GradScale: 1, Decay: 1, OneMinusBeta1: 0.125, Beta2: 0.9375, OneMinusBeta2: 0.0625, InvSqrtBC2: 4, Eps: 0x1p-20, StepSize: 0x1p-7},
	{GradScale: -0.5, L2: 0.1, Decay: 1, OneMinusBeta1: 0.1, Beta2: 0.999, OneMinusBeta2: 0.001, InvSqrtBC2: 3.1, Eps: 1e-8, StepSize: 0.0123},
	{GradScale: 3, Decay: 0.999, OneMinusBeta1: 0.2, Beta2: 0.99, OneMinusBeta2: 0.01, InvSqrtBC2: 1.7, Eps: 1e-6, StepSize: 0.37},
	{GradScale: 1e30, L2: 1e-3, Decay: 0.75, OneMinusBeta1: 1, Beta2: 0, OneMinusBeta2: 1, InvSqrtBC2: 1, Eps: 1e-30, StepSize: 1e20},
}

var goldenSGDScalars = []kernels.SGDScalars{
	{GradScale: 1, LR: 0.1},
	{GradScale: 1.5, L2: 0.01, LR: 0.5, Momentum: 0.9, OneMinusDampening: 0.7},
	{GradScale: -2, L2: 0.1, LR: 0.05, Momentum: 0.99, OneMinusDampening: 1, Nesterov: true},
	{GradScale: 1e30, L2: 3, LR: 1e-3, Momentum: 0.5, OneMinusDampening: 1, Nesterov: true},
}

var goldenLengths = []int{0, 1, 3, 7, 8, 9, 16, 17, 31, 32, 33, 45, 64, 65, 100}

func referenceDigests(t *testing.T) map[string]string {
	out := map[string]string{}
	generic(t, func() {
		referenceDigestsT(out, "f32", kernels.SGDStep[float32], kernels.MomentumStep[float32], kernels.AdamStep[float32], kernels.AMSGradStep[float32],
			kernels.SumSquares[float32], kernels.Dot[float32], kernels.Axpy[float32], kernels.Scale[float32])
		referenceDigestsT(out, "f64", kernels.SGDStep[float64], kernels.MomentumStep[float64], kernels.AdamStep[float64], kernels.AMSGradStep[float64],
			kernels.SumSquares[float64], kernels.Dot[float64], kernels.Axpy[float64], kernels.Scale[float64])
	})
	catalogDigests[float32](t, out, "f32")
	catalogDigests[float64](t, out, "f64")
	// Scalars: every field of a few configurations.
	var d digest
	for _, h := range []kernels.Adam{kernels.DefaultAdam(), kernels.DefaultAdamW(),
		{LR: 3e-4, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.05, Decoupled: true, Maximize: true},
		{LR: 0.7, Beta1: 0.999999, Beta2: 0.999999, Eps: 1e-30, WeightDecay: 0.3, Decoupled: true},
		// 1 − lr·λ rounds differently when the product is fused into it.
		{LR: 0.676, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1.384, Decoupled: true}} {
		for _, step := range []int{1, 2, 10, 1000, 1 << 20} {
			s := h.Scalars(step, 0.37)
			d.add(s.GradScale, s.L2, s.Decay, s.OneMinusBeta1, s.Beta2, s.OneMinusBeta2, s.InvSqrtBC2, s.Eps, s.StepSize)
		}
	}
	out["Adam.Scalars"] = d.sum()
	d = digest{}
	for _, h := range []kernels.SGD{{LR: 0.1, Momentum: 0.9, Dampening: 0.3, WeightDecay: 0.01, Maximize: true}} {
		s := h.Scalars(0.37)
		d.add(s.GradScale, s.L2, s.LR, s.Momentum, s.OneMinusDampening)
	}
	out["SGD.Scalars"] = d.sum()
	d = digest{}
	for _, h := range []kernels.Lion{kernels.DefaultLion(), {LR: 3e-4, Beta1: 0.95, Beta2: 0.98, WeightDecay: 0.1, Maximize: true},
		{LR: 0.7, Beta1: 0.999999, Beta2: 1, WeightDecay: 1.384}} {
		s := h.Scalars(0.37)
		d.add(s.GradScale, s.Beta1, s.OneMinusBeta1, s.Beta2, s.OneMinusBeta2, s.WeightDecay, s.LR)
	}
	out["Lion.Scalars"] = d.sum()
	d = digest{}
	for _, h := range []kernels.Adagrad{kernels.DefaultAdagrad(),
		{LR: 0.1, LRDecay: 0.01, WeightDecay: 0.05, InitialAccumulatorValue: 0.1, Eps: 1e-10, Maximize: true},
		// 1 + (t−1)·lr_decay rounds differently when the product is fused into it.
		{LR: 0.676, LRDecay: 1.384e-3, Eps: 1e-6}} {
		for _, step := range []int{1, 2, 10, 1000, 1 << 20} {
			s := h.Scalars(step, 0.37)
			d.add(s.GradScale, s.L2, s.StepSize, s.Eps)
		}
	}
	out["Adagrad.Scalars"] = d.sum()
	d = digest{}
	for _, h := range []kernels.RMSprop{kernels.DefaultRMSprop(),
		{LR: 1e-3, Alpha: 0.9, Eps: 1e-6, WeightDecay: 0.01, Momentum: 0.9, Centered: true, Maximize: true},
		{LR: 0.7, Alpha: 0.999999, Eps: 1e-30, Momentum: 0.5}} {
		s := h.Scalars(0.37)
		d.add(s.GradScale, s.L2, s.Alpha, s.OneMinusAlpha, s.Eps, s.Momentum, s.LR, b2f(s.Centered))
	}
	out["RMSprop.Scalars"] = d.sum()
	return out
}

// catalogDigests hashes the reference of every elementwise kernel of the
// catalog, through kernels.Bind, in every combination of its variant flags,
// on three coefficient vectors (the typical one, and two decoded like the
// inputs: mostly moderate values and some of every class, the first
// non-negative, the second of either sign), at every golden length; an
// optional stream the flags leave unused is nil. Keys:
// catalog/<Kernel>/<dtype>/flags=<flags>. A kernel added to the catalog has
// no golden digest until -update is run on amd64.
func catalogDigests[T float](t *testing.T, out map[string]string, dt string) {
	for _, k := range kernels.Catalog() {
		if k.Reduce {
			continue
		}
		f, err := kernels.Bind[T](kernels.Generic, k.Name)
		if err != nil {
			t.Fatal(err)
		}
		ns := uint64(len(k.Slots))
		typical := make([]T, len(k.Slots))
		for i, x := range k.Typical {
			typical[i] = T(x)
		}
		coefs := [][]T{typical, exactInputs[T](9000+ns, 1, len(k.Slots), 0)[0], exactInputs[T](9100+ns, 1, len(k.Slots), 1)[0]}
		unit, unitSlot := unitScale(k)
		for v := range 1 << len(k.Variants) {
			var flags uint64
			for j, x := range k.Variants {
				if v&(1<<j) != 0 {
					flags |= x.Bit
				}
			}
			var d digest
			for ci, c := range coefs {
				c = append([]T(nil), c...)
				if flags&unit != 0 {
					c[unitSlot] = 1
				}
				for _, n := range goldenLengths {
					// Streams from the third on (state) non-negative, like v.
					in := exactInputs[T](uint64(20000+1000*ci+n), len(k.Streams), n, 2)
					for j, st := range k.Streams {
						if !st.Used(flags) {
							in[j] = nil
						}
					}
					f(in, c, flags)
					for _, s := range in {
						addT(&d, s)
					}
				}
			}
			out[fmt.Sprintf("catalog/%s/%s/flags=%d", k.Name, dt, flags)] = d.sum()
		}
	}
}

func referenceDigestsT[T float](out map[string]string, dt string,
	sgd func(p, g []T, s *kernels.SGDScalars),
	mom func(p, g, b []T, s *kernels.SGDScalars, first bool),
	adam func(p, g, m, v []T, s *kernels.AdamScalars),
	ams func(p, g, m, v, vmax []T, s *kernels.AdamScalars),
	sumsq func([]T) (float64, bool),
	dot func(x, y []T) T,
	axpy func(a T, x, y []T),
	scale func(a T, x []T)) {
	for ci := range goldenSGDScalars {
		s := goldenSGDScalars[ci]
		var ds, dm, df digest
		for _, n := range goldenLengths {
			in := exactInputs[T](uint64(100*ci+n), 3, n, 3)
			a := clone(in)
			sgd(a[0], a[1], &s)
			addT(&ds, a[0])
			a = clone(in)
			mom(a[0], a[1], a[2], &s, false)
			addT(&dm, a[0])
			addT(&dm, a[2])
			a = clone(in)
			mom(a[0], a[1], a[2], &s, true)
			addT(&df, a[0])
			addT(&df, a[2])
		}
		out[fmt.Sprintf("SGD/%s/config=%d", dt, ci)] = ds.sum()
		out[fmt.Sprintf("Momentum/%s/config=%d", dt, ci)] = dm.sum()
		out[fmt.Sprintf("Momentum/%s/config=%d/first", dt, ci)] = df.sum()
	}
	for ci := range goldenAdamScalars {
		s := goldenAdamScalars[ci]
		var da, dv digest
		for _, n := range goldenLengths {
			in := exactInputs[T](uint64(1000+100*ci+n), 5, n, 3)
			a := clone(in)
			adam(a[0], a[1], a[2], a[3], &s)
			for j := range 4 {
				addT(&da, a[j])
			}
			a = clone(in)
			ams(a[0], a[1], a[2], a[3], a[4], &s)
			for j := range 5 {
				addT(&dv, a[j])
			}
		}
		out[fmt.Sprintf("Adam/%s/config=%d", dt, ci)] = da.sum()
		out[fmt.Sprintf("AMSGrad/%s/config=%d", dt, ci)] = dv.sum()
	}
	var dss, dd, dax, dsc digest
	for _, n := range append(goldenLengths, 1000) {
		in := exactInputs[T](uint64(5000+n), 2, n, 2)
		s, fin := sumsq(in[0])
		dss.add(s, b2f(fin))
		dd.add(float64(dot(in[0], in[1])))
		for _, a := range []T{0, 1, -2.5, 0.1, 1e30} {
			c := clone(in)
			axpy(a, c[0], c[1])
			addT(&dax, c[1])
			scale(a, c[0])
			addT(&dsc, c[0])
		}
	}
	out["SumSquares/"+dt] = dss.sum()
	out["Dot/"+dt] = dd.sum()
	out["Axpy/"+dt] = dax.sum()
	out["Scale/"+dt] = dsc.sum()
}

func TestReferencePortable(t *testing.T) {
	got := referenceDigests(t)
	if *update {
		if runtime.GOARCH != "amd64" {
			t.Fatalf("-update writes the golden digests from amd64 only (this is %s)", runtime.GOARCH)
		}
		var keys []string
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("# SHA-256 of the reference's outputs on exact inputs; see portable_test.go.\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "%s %s\n", k, got[k])
		}
		if err := os.WriteFile(goldenFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	f, err := os.Open(goldenFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, " ")
		want[k] = v
	}
	var bad []string
	for k, v := range got {
		if w, ok := want[k]; !ok {
			t.Errorf("%s: no golden digest (run -update on amd64)", k)
		} else if w != v {
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	for _, k := range bad {
		t.Errorf("%s: the reference's outputs on %s differ from amd64's", k, runtime.GOARCH)
	}
}
