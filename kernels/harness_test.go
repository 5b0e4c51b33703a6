package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"unsafe"
)

// Test harness: every implementation against the reference, bit for bit,
// on slices cut from guarded buffers at every offset within a vector.

type float interface{ float32 | float64 }

// guard is the number of sentinel elements on each side of a test slice;
// more than any vector register holds.
const guard = 16

// sentinel is a signalling-looking NaN with a payload no computation
// produces: if it leaks into a result, the result differs from the
// reference; if a kernel writes outside its slice, the sentinel changes.
func sentinel[T float]() T {
	var z T
	if unsafe.Sizeof(z) == 4 {
		return T(math.Float32frombits(0x7fa5a5a5))
	}
	return T(math.Float64frombits(0x7ff5a5a5a5a5a5a5))
}

func bits[T float](x T) uint64 {
	if unsafe.Sizeof(x) == 4 {
		return uint64(math.Float32bits(float32(x)))
	}
	return math.Float64bits(float64(x))
}

// same reports whether a and b are the same value: equal bits, or both NaN
// (NaN payloads and signs are not part of the contract).
func same[T float](a, b T) bool {
	if a != a && b != b {
		return true
	}
	return bits(a) == bits(b)
}

// guarded is a slice of n elements at element offset off inside a buffer
// whose other elements are sentinels.
type guarded[T float] struct {
	buf    []T
	lo, hi int
}

func newGuarded[T float](src []T, off int) guarded[T] {
	g := guarded[T]{buf: make([]T, len(src)+2*guard+off), lo: guard + off}
	g.hi = g.lo + len(src)
	s := sentinel[T]()
	for i := range g.buf {
		g.buf[i] = s
	}
	copy(g.buf[g.lo:g.hi], src)
	return g
}

func (g guarded[T]) slice() []T { return g.buf[g.lo:g.hi:g.hi] }

// check fails t if a sentinel outside the slice changed.
func (g guarded[T]) check(t *testing.T, what string) {
	t.Helper()
	s := bits(sentinel[T]())
	for i, x := range g.buf {
		if (i < g.lo || i >= g.hi) && bits(x) != s {
			t.Fatalf("%s: element %d outside the slice [%d, %d) was written: %v", what, i, g.lo, g.hi, x)
		}
	}
}

// values returns n test inputs: mostly ordinary numbers over a wide range of
// magnitudes, with zeros of both signs, subnormals, huge values, ±Inf and
// NaN mixed in when special is set.
func values[T float](r *rand.Rand, n int, special bool) []T {
	var z T
	f32 := unsafe.Sizeof(z) == 4
	out := make([]T, n)
	for i := range out {
		x := r.NormFloat64() * math.Pow(10, 3*r.Float64()-1.5)
		if special && r.IntN(8) == 0 {
			switch r.IntN(8) {
			case 0:
				x = 0
			case 1:
				x = math.Copysign(0, -1)
			case 2:
				x = math.Inf(1)
			case 3:
				x = math.Inf(-1)
			case 4:
				x = math.NaN()
			case 5: // subnormal
				if f32 {
					x = float64(math.Float32frombits(uint32(1 + r.IntN(1<<23-1))))
				} else {
					x = math.Float64frombits(uint64(1 + r.Int64N(1<<52-1)))
				}
			case 6: // huge
				if f32 {
					x = 3e38 * (r.Float64()*0.1 + 0.9)
				} else {
					x = 1.7e308 * (r.Float64()*0.1 + 0.9)
				}
			case 7:
				x = -x
			}
		}
		out[i] = T(x)
	}
	return out
}

// lengths returns the test lengths: every length up to a few times the
// widest unrolled loop, then some large odd ones. With -short, every
// length up to just past one unrolled AVX-512 block. Under qemu-user
// (QEMU_CPU set, make test's arm64 suite: NEON's widest unrolled loop is
// 4 vectors of 4) and under the race detector (the kernels run on one
// goroutine: the run is there for the dispatch and the packages around
// them, and instrumented reference loops are ten times slower) every
// length up to one unrolled NEON block past, and two large odd ones.
func lengths() []int {
	top, long := 4*32+3, []int{255, 1001, 4099}
	switch {
	case os.Getenv("QEMU_CPU") != "" || raceDetector:
		top, long = 4*4+3, []int{255, 1001}
	case testing.Short():
		top = 35
	}
	var ls []int
	for n := 0; n <= top; n++ {
		ls = append(ls, n)
	}
	return append(ls, long...)
}

// offsets is the number of element offsets within the widest vector
// register of the available implementations: 64 bytes with AVX-512, 32
// otherwise.
func offsets[T float]() int {
	var z T
	width := 32
	for _, name := range Available() {
		if name == AVX512 {
			width = 64
		}
	}
	return width / int(unsafe.Sizeof(z))
}

// withImpl runs f with the implementation name in force.
func withImpl(t *testing.T, name string, f func()) {
	t.Helper()
	old := Impl()
	if err := SetImpl(name); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := SetImpl(old); err != nil {
			t.Fatal(err)
		}
	}()
	f()
}

// compareImpls runs kernel on nIn input slices (filled by fill) with every
// available implementation, at every length and offset, and fails t unless
// every output slice and every returned scalar is the same as the
// reference's and no sentinel changed.
func compareImpls[T float](t *testing.T, nIn int, fill func(r *rand.Rand, n int) [][]T, kernel func(s [][]T) []float64) {
	t.Helper()
	compareImplsAt(t, lengths(), fill, kernel)
}

// compareImplsAt is compareImpls at the lengths ls.
func compareImplsAt[T float](t *testing.T, ls []int, fill func(r *rand.Rand, n int) [][]T, kernel func(s [][]T) []float64) {
	t.Helper()
	impls := Available()
	offs := make([]int, offsets[T]())
	for i := range offs {
		offs[i] = i
	}
	if raceDetector { // see lengths
		offs = []int{0, 1, len(offs) - 1}
	}
	for _, n := range ls {
		for _, off := range offs {
			r := rand.New(rand.NewPCG(uint64(n), uint64(off)))
			in := fill(r, n)
			var want [][]T
			var wantR []float64
			for _, name := range impls {
				gs := make([]guarded[T], len(in))
				args := make([][]T, len(in))
				for j := range in {
					gs[j] = newGuarded(in[j], off)
					args[j] = gs[j].slice()
				}
				var res []float64
				withImpl(t, name, func() { res = kernel(args) })
				for j := range gs {
					gs[j].check(t, fmt.Sprintf("impl=%s n=%d off=%d slice %d", name, n, off, j))
				}
				if name == Generic {
					want, wantR = args, res
					continue
				}
				for j := range args {
					for i := range args[j] {
						if !same(args[j][i], want[j][i]) {
							t.Fatalf("impl=%s n=%d off=%d: slice %d element %d = %v (%#x), reference %v (%#x)",
								name, n, off, j, i, args[j][i], bits(args[j][i]), want[j][i], bits(want[j][i]))
						}
					}
				}
				for j := range res {
					if !same(res[j], wantR[j]) {
						t.Fatalf("impl=%s n=%d off=%d: result %d = %v (%#x), reference %v (%#x)",
							name, n, off, j, res[j], bits(res[j]), wantR[j], bits(wantR[j]))
					}
				}
			}
		}
	}
}

// slices returns a fill function for k independent slices of test values.
func slices[T float](k int, special bool) func(r *rand.Rand, n int) [][]T {
	return func(r *rand.Rand, n int) [][]T {
		s := make([][]T, k)
		for j := range s {
			s[j] = values[T](r, n, special)
		}
		return s
	}
}
