package bench

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"unsafe"

	"github.com/descent-go/descent/kernels"
)

// Sizes are the benchmark lengths: in L1/L2, L2/L3, L3/DRAM and DRAM.
var Sizes = []int{4096, 65536, 1 << 20, 1 << 24}

// Kernels lists every benchmarked kernel: the catalog of package kernels,
// in its order. Each runs its typical coefficients and flags
// (Info.Typical, Info.TypicalFlags).
var Kernels = kernels.Catalog()

// ImplName is the benchmark name of an implementation: "ref" for the
// generic reference, otherwise its kernels name.
func ImplName(impl string) string {
	if impl == kernels.Generic {
		return "ref"
	}
	return impl
}

// Case is one benchmark: a kernel, a dtype, a length and an implementation.
type Case struct {
	Kernel kernels.Info
	DType  string // "f32" or "f64"
	N      int
	Impl   string // kernels implementation name
}

// Name is the case's benchmark name below the kernel:
// <dtype>/n=<N>/impl=<impl>.
func (c Case) Name() string {
	return fmt.Sprintf("%s/n=%d/impl=%s", c.DType, c.N, ImplName(c.Impl))
}

// Bytes is the memory traffic of one call: the element reads and writes
// the kernel must do under its typical flags (Info.Moves), times the
// element size, times N.
func (c Case) Bytes() int64 {
	size := 4
	if c.DType == "f64" {
		size = 8
	}
	return int64(c.Kernel.Moves(c.Kernel.TypicalFlags) * size * c.N)
}

// Cases lists every kernel × dtype × size × available implementation.
func Cases(sizes []int) []Case {
	var cs []Case
	for _, k := range Kernels {
		for _, dt := range []string{"f32", "f64"} {
			for _, n := range sizes {
				for _, impl := range kernels.Available() {
					cs = append(cs, Case{k, dt, n, impl})
				}
			}
		}
	}
	return cs
}

// Run runs the case as a benchmark body: it binds the case's
// implementation of the kernel (kernels.Bind), resets the data, calls the
// kernel once untimed and sets the bytes moved per iteration. It must not
// run concurrently with other cases (they share the data).
func (c Case) Run(b *testing.B) {
	call := c.call(c.N, 1)[0]
	b.SetBytes(c.Bytes())
	call()
	for b.Loop() {
		call()
	}
	b.ReportMetric(float64(c.N)*float64(b.N)/b.Elapsed().Seconds(), "elem/s")
}

// call resets the case's data (see data) and returns, for each of parts
// goroutines, a function that runs the kernel once on its share of the n
// elements (n split into parts contiguous pieces).
func (c Case) call(n, parts int) []func() {
	if c.DType == "f32" {
		return callT[float32](c, n, parts)
	}
	return callT[float64](c, n, parts)
}

func callT[T kernels.Float](c Case, n, parts int) []func() {
	k := c.Kernel
	f, err := kernels.Bind[T](c.Impl, k.Name)
	if err != nil {
		panic(fmt.Sprintf("bench: %s: %v", k.Name, err))
	}
	coef := make([]T, len(k.Typical))
	for i, x := range k.Typical {
		coef[i] = T(x)
	}
	flags := k.TypicalFlags
	s := streams[T](k, n, flags)
	fs := make([]func(), parts)
	for j := range fs {
		part := sub(s, j*n/parts, (j+1)*n/parts)
		fs[j] = func() { f(part, coef, flags) }
	}
	return fs
}

func sub[T kernels.Float](s [][]T, lo, hi int) [][]T {
	out := make([][]T, len(s))
	for i := range s {
		if s[i] != nil {
			out[i] = s[i][lo:hi:hi]
		}
	}
	return out
}

// Benchmark data is made once per element type and length and reused, so
// that a run does not spend its time drawing random numbers; streams
// resets it for each case, so that every case starts from the same values
// whatever ran before it:
//
//   - the first two streams (parameters and gradient, or a kernel's x and
//     y) hold normal random values of unit scale; a stream the kernel
//     writes gets a fresh copy of them, a read-only one the values
//     themselves;
//   - every further stream (optimizer state: moments, buffers, sums) starts
//     at zero, as in training, and takes realistic values from the first
//     call on (which Run and Measure make before timing), whatever the
//     kernel's semantics (second moments stay non-negative, nothing is
//     subnormal or NaN).
//
// An optional stream that the typical flags leave unused is nil.
type dataSet[T kernels.Float] struct {
	rand [2][]T // the random values of the first two streams, never written
	work [][]T  // per stream position, a buffer that kernels write (made on first use)
}

var (
	dataMu sync.Mutex
	cache  = map[[2]int]any{} // [element size, n] → *dataSet[T]
)

func streams[T kernels.Float](k kernels.Info, n int, flags uint64) [][]T {
	dataMu.Lock()
	defer dataMu.Unlock()
	key := [2]int{int(unsafe.Sizeof(T(0))), n}
	d, ok := cache[key].(*dataSet[T])
	if !ok {
		d = &dataSet[T]{}
		r := rand.New(rand.NewPCG(1, uint64(n)))
		for j := range d.rand {
			d.rand[j] = make([]T, n)
			for i := range d.rand[j] {
				d.rand[j][i] = T(r.NormFloat64())
			}
		}
		cache[key] = d
	}
	s := make([][]T, len(k.Streams))
	for j, st := range k.Streams {
		if !st.Used(flags) {
			continue
		}
		if j < len(d.rand) && !st.Write {
			s[j] = d.rand[j]
			continue
		}
		for len(d.work) <= j {
			d.work = append(d.work, nil)
		}
		if d.work[j] == nil {
			d.work[j] = make([]T, n)
		}
		if j < len(d.rand) {
			copy(d.work[j], d.rand[j])
		} else {
			clear(d.work[j])
		}
		s[j] = d.work[j]
	}
	return s
}

// Release drops the cached benchmark data.
func Release() {
	dataMu.Lock()
	defer dataMu.Unlock()
	clear(cache)
}
