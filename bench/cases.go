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

// Kernel describes one benchmarked kernel: its name, how many slices it
// reads and writes per element, and how to run it.
type Kernel struct {
	Name   string
	Slices int                 // slices the kernel uses
	Moves  int                 // element accesses per element: reads + writes
	run32  func(s [][]float32) // one call on the first Slices slices
	run64  func(s [][]float64)
}

var (
	adamS  = kernels.DefaultAdam().Scalars(10, 1)
	adamWS = kernels.DefaultAdamW().Scalars(10, 1)
	sgdS   = kernels.SGD{LR: 1e-3}.Scalars(1)
	momS   = kernels.SGD{LR: 1e-3, Momentum: 0.9}.Scalars(1)
	nestS  = kernels.SGD{LR: 1e-3, Momentum: 0.9, Nesterov: true}.Scalars(1)
)

// Kernels lists every benchmarked kernel.
var Kernels = []Kernel{
	{"Adam", 4, 7,
		func(s [][]float32) { kernels.AdamStep[float32](s[0], s[1], s[2], s[3], &adamS) },
		func(s [][]float64) { kernels.AdamStep[float64](s[0], s[1], s[2], s[3], &adamS) }},
	{"AdamW", 4, 7,
		func(s [][]float32) { kernels.AdamStep[float32](s[0], s[1], s[2], s[3], &adamWS) },
		func(s [][]float64) { kernels.AdamStep[float64](s[0], s[1], s[2], s[3], &adamWS) }},
	{"AMSGrad", 5, 9,
		func(s [][]float32) { kernels.AMSGradStep[float32](s[0], s[1], s[2], s[3], s[4], &adamS) },
		func(s [][]float64) { kernels.AMSGradStep[float64](s[0], s[1], s[2], s[3], s[4], &adamS) }},
	{"SGD", 2, 3,
		func(s [][]float32) { kernels.SGDStep[float32](s[0], s[1], &sgdS) },
		func(s [][]float64) { kernels.SGDStep[float64](s[0], s[1], &sgdS) }},
	{"Momentum", 3, 5,
		func(s [][]float32) { kernels.MomentumStep[float32](s[0], s[1], s[2], &momS, false) },
		func(s [][]float64) { kernels.MomentumStep[float64](s[0], s[1], s[2], &momS, false) }},
	{"Nesterov", 3, 5,
		func(s [][]float32) { kernels.MomentumStep[float32](s[0], s[1], s[2], &nestS, false) },
		func(s [][]float64) { kernels.MomentumStep[float64](s[0], s[1], s[2], &nestS, false) }},
	{"SumSquares", 1, 1,
		func(s [][]float32) { kernels.SumSquares[float32](s[0]) },
		func(s [][]float64) { kernels.SumSquares[float64](s[0]) }},
	{"Dot", 2, 2,
		func(s [][]float32) { kernels.Dot[float32](s[0], s[1]) },
		func(s [][]float64) { kernels.Dot[float64](s[0], s[1]) }},
	{"Axpy", 2, 3,
		func(s [][]float32) { kernels.Axpy[float32](1e-6, s[0], s[1]) },
		func(s [][]float64) { kernels.Axpy[float64](1e-6, s[0], s[1]) }},
	{"Scale", 1, 2,
		func(s [][]float32) { kernels.Scale[float32](1, s[0]) },
		func(s [][]float64) { kernels.Scale[float64](1, s[0]) }},
}

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
	Kernel Kernel
	DType  string // "f32" or "f64"
	N      int
	Impl   string // kernels implementation name
}

// Name is the case's benchmark name below the kernel:
// <dtype>/n=<N>/impl=<impl>.
func (c Case) Name() string {
	return fmt.Sprintf("%s/n=%d/impl=%s", c.DType, c.N, ImplName(c.Impl))
}

// Bytes is the memory traffic of one call: element accesses times size.
func (c Case) Bytes() int64 {
	size := 4
	if c.DType == "f64" {
		size = 8
	}
	return int64(c.Kernel.Moves * size * c.N)
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

// Run runs the case as a benchmark body: it forces the implementation for
// the duration of the call and sets the bytes moved per iteration. It must
// not run concurrently with other kernel calls.
func (c Case) Run(b *testing.B) {
	old := kernels.Impl()
	if err := kernels.SetImpl(c.Impl); err != nil {
		b.Skip(err)
	}
	defer kernels.SetImpl(old)
	b.SetBytes(c.Bytes())
	call := c.call(c.N, 1)[0]
	for b.Loop() {
		call()
	}
	b.ReportMetric(float64(c.N)*float64(b.N)/b.Elapsed().Seconds(), "elem/s")
}

// call returns, for each of parts goroutines, a function that runs the
// kernel once on its share of the case's data (n elements split into parts
// contiguous pieces).
func (c Case) call(n, parts int) []func() {
	fs := make([]func(), parts)
	for j := range fs {
		lo, hi := j*n/parts, (j+1)*n/parts
		if c.DType == "f32" {
			s := sub(data[float32](n, c.Kernel.Slices), lo, hi)
			fs[j] = func() { c.Kernel.run32(s) }
		} else {
			s := sub(data[float64](n, c.Kernel.Slices), lo, hi)
			fs[j] = func() { c.Kernel.run64(s) }
		}
	}
	return fs
}

func sub[T float32 | float64](s [][]T, lo, hi int) [][]T {
	out := make([][]T, len(s))
	for i := range s {
		out[i] = s[i][lo:hi:hi]
	}
	return out
}

// Benchmark data is made once per element type and length and reused:
// realistic values (parameters and gradients of unit scale, moments
// non-negative), never subnormal, so the timings are those of ordinary
// training.
var (
	dataMu sync.Mutex
	cache  = map[[2]int]any{} // [element size, n] → [][]T
)

const maxSlices = 5

func data[T float32 | float64](n, k int) [][]T {
	dataMu.Lock()
	defer dataMu.Unlock()
	key := [2]int{int(unsafe.Sizeof(T(0))), n}
	if s, ok := cache[key].([][]T); ok {
		return s[:k]
	}
	r := rand.New(rand.NewPCG(1, uint64(n)))
	s := make([][]T, maxSlices)
	for j := range s {
		s[j] = make([]T, n)
		for i := range s[j] {
			x := r.NormFloat64()
			if j >= 3 {
				x *= x
			}
			s[j][i] = T(x)
		}
	}
	cache[key] = s
	return s[:k]
}

// Release drops the cached benchmark data.
func Release() {
	dataMu.Lock()
	defer dataMu.Unlock()
	clear(cache)
}
