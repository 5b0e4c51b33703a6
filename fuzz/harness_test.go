package fuzz

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/descent-go/descent/kernels"
)

// This file is the harness every target shares: decoding the fuzz input
// into slices and hyper-parameters, guarded buffers, running a kernel under
// every implementation and comparing with the reference.

type float interface{ float32 | float64 }

// maxLen bounds the slice length a fuzz input can ask for.
const maxLen = 4096

// guard is the number of sentinel elements on each side of every slice:
// more than any vector register holds.
const guard = 16

func is32[T float]() bool {
	var z T
	return unsafe.Sizeof(z) == 4
}

// maxFinite is the largest finite T, as a float64.
func maxFinite[T float]() float64 {
	if is32[T]() {
		return math.MaxFloat32
	}
	return math.MaxFloat64
}

func bitsOf[T float](x T) uint64 {
	if is32[T]() {
		return uint64(math.Float32bits(float32(x)))
	}
	return math.Float64bits(float64(x))
}

func fromBits[T float](b uint64) T {
	if is32[T]() {
		return T(math.Float32frombits(uint32(b)))
	}
	return T(math.Float64frombits(b))
}

// sentinel is a NaN with a payload no arithmetic produces (a signalling
// NaN: arithmetic would quiet it). A kernel that writes outside its slice
// changes it; a kernel that reads it into a result makes that result NaN
// where the reference's is not.
func sentinel[T float]() T {
	if is32[T]() {
		return fromBits[T](0x7fa5a5a5)
	}
	return fromBits[T](0x7ff5a5a5a5a5a5a5)
}

// same is the equality of the contract: both NaN (whatever payload and
// sign), or the same bits (so +0 and −0 differ).
func same[T float](a, b T) bool {
	if a != a && b != b {
		return true
	}
	return bitsOf(a) == bitsOf(b)
}

// numEq is numeric equality, used by properties that hold up to the sign of
// zero: both NaN, or a == b (so +0 == −0).
func numEq[T float](a, b T) bool {
	return (a != a && b != b) || a == b
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// maxAbs is max |x[i]| as a float64, +Inf if any element is not finite, 0
// for an empty slice.
func maxAbs[T float](x []T) float64 {
	m := 0.0
	for _, e := range x {
		a := math.Abs(float64(e))
		if !finite(a) {
			return math.Inf(1)
		}
		m = max(m, a)
	}
	return m
}

func allFinite[T float](x ...[]T) bool {
	for _, s := range x {
		if math.IsInf(maxAbs(s), 0) {
			return false
		}
	}
	return true
}

// nonNeg reports whether every element is ≥ 0 (−0 included).
func nonNeg[T float](x []T) bool {
	for _, e := range x {
		if !(e >= 0) {
			return false
		}
	}
	return true
}

// guarded is a slice of n elements at an offset inside a buffer whose other
// elements are sentinels.
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

// slice returns the slice, its capacity cut at its end, so that an append
// or reslice could not reach the guard band either.
func (g guarded[T]) slice() []T { return g.buf[g.lo:g.hi:g.hi] }

func (g guarded[T]) check(t *testing.T, impl, kernel string, arg int) {
	t.Helper()
	s := bitsOf(sentinel[T]())
	for i, x := range g.buf {
		if (i < g.lo || i >= g.hi) && bitsOf(x) != s {
			t.Fatalf("%s impl=%s: argument %d: element %d of the guard band (slice is [%d, %d), len %d) was overwritten: %v (%#x)",
				kernel, impl, arg, i-g.lo, g.lo, g.hi, g.hi-g.lo, x, bitsOf(x))
		}
	}
}

// decoder turns the fuzz input's bytes into values. When the bytes run out
// it goes on with moderate pseudo-random values from a generator seeded by
// the input, so that a short input can still describe a long slice.
type decoder struct {
	data []byte
	seed uint64
	rng  *rand.Rand
}

func newDecoder(data []byte, n int) *decoder {
	h := fnv.New64a()
	h.Write(data)
	return &decoder{data: data, seed: h.Sum64() ^ uint64(n)*0x9e3779b97f4a7c15}
}

func (d *decoder) more() bool { return len(d.data) > 0 }

func (d *decoder) byte() byte {
	if len(d.data) == 0 {
		return 0
	}
	b := d.data[0]
	d.data = d.data[1:]
	return b
}

// uint64 reads 8 bytes little-endian, zero-padded at the end of the input.
func (d *decoder) uint64() uint64 {
	var b [8]byte
	k := copy(b[:], d.data)
	d.data = d.data[k:]
	return binary.LittleEndian.Uint64(b[:])
}

func (d *decoder) uint16() uint16 { return uint16(d.byte()) | uint16(d.byte())<<8 }

func (d *decoder) random() *rand.Rand {
	if d.rng == nil {
		d.rng = rand.New(rand.NewPCG(d.seed, 0x5eed))
	}
	return d.rng
}

// value decodes one element. A class byte k picks the kind (k mod 16):
//
//	0–8  moderate: int16/256 · 2^(k>>4 − 8), so |x| < 2^15, with 1/2^16 resolution at the small end
//	9    huge: within a factor 2 of the largest finite T
//	10   +0       11  −0
//	12   ±Inf     13  NaN, any payload and sign (signalling ones too)
//	14   subnormal of either sign
//	15   any bits
//
// nonneg makes the moderate and huge values non-negative (second moments);
// the special classes keep their signs.
func value[T float](d *decoder, nonneg bool) T {
	if !d.more() {
		x := d.random().NormFloat64() * math.Ldexp(1, d.random().IntN(16)-8)
		if nonneg {
			x = math.Abs(x)
		}
		return T(x)
	}
	k := d.byte()
	mant := is32[T]()
	switch k % 16 {
	default:
		x := float64(int16(d.uint16())) / 256 * math.Ldexp(1, int(k>>4)-8)
		if nonneg {
			x = math.Abs(x)
		}
		return T(x)
	case 9:
		u := float64(d.uint16()) / 65536
		x := maxFinite[T]() * (1 - u/2)
		if !nonneg && d.byte()&1 != 0 {
			x = -x
		}
		return T(x)
	case 10:
		return 0
	case 11:
		return T(math.Copysign(0, -1))
	case 12:
		if k&0x10 != 0 {
			return T(math.Inf(-1))
		}
		return T(math.Inf(1))
	case 13:
		b := d.uint64()
		if mant {
			b = 0x7f800000 | b&0x807fffff
			if b&0x7fffff == 0 {
				b |= 1
			}
		} else {
			b = 0x7ff0000000000000 | b&0x800fffffffffffff
			if b&0xfffffffffffff == 0 {
				b |= 1
			}
		}
		return fromBits[T](b)
	case 14:
		b := d.uint64()
		if mant {
			b &= 0x807fffff
			if b&0x7fffff == 0 {
				b |= 1
			}
		} else {
			b &= 0x800fffffffffffff
			if b&0xfffffffffffff == 0 {
				b |= 1
			}
		}
		return fromBits[T](b)
	case 15:
		return fromBits[T](d.uint64())
	}
}

func values[T float](d *decoder, n int, nonneg bool) []T {
	x := make([]T, n)
	for i := range x {
		x[i] = value[T](d, nonneg)
	}
	return x
}

// length maps the fuzz argument to a slice length.
func length(n uint16) int { return int(n) % (maxLen + 1) }

// offset is the element offset of argument j: four bits of offs each, so
// every slice of a call can sit at its own misalignment.
func offset(offs uint32, j int) int { return int(offs>>(4*j)) & 15 }

// rawField returns the next raw hyper-parameter field: any float64, 8
// bytes of the input.
func rawField(d *decoder) float64 { return math.Float64frombits(d.uint64()) }

// runAll runs kernel on copies of in (argument j at element offset
// offset(offs, j) in a guarded buffer) under every implementation in
// kernels.Available(), restoring the implementation in force afterwards. It
// fails t if any implementation writes outside its slices or differs from
// the reference ("generic") in any output element or returned result, and
// returns the reference's outputs and results.
func runAll[T float](t *testing.T, name string, in [][]T, offs uint32, kernel func(a [][]T) []float64) ([][]T, []float64) {
	t.Helper()
	old := kernels.Impl()
	defer func() {
		if err := kernels.SetImpl(old); err != nil {
			t.Fatal(err)
		}
	}()
	return runEach(t, name, in, offs, func(impl string, a [][]T) []float64 {
		if err := kernels.SetImpl(impl); err != nil {
			t.Fatal(err)
		}
		return kernel(a)
	})
}

// runEach is runAll for a kernel that is given the implementation to run
// (one of kernels.Available()) and selects it itself, e.g. through
// kernels.Bind; the implementation in force is left alone.
func runEach[T float](t *testing.T, name string, in [][]T, offs uint32, kernel func(impl string, a [][]T) []float64) ([][]T, []float64) {
	t.Helper()
	var want [][]T
	var wantR []float64
	for _, impl := range kernels.Available() {
		gs := make([]guarded[T], len(in))
		args := make([][]T, len(in))
		for j := range in {
			gs[j] = newGuarded(in[j], offset(offs, j))
			args[j] = gs[j].slice()
		}
		res := kernel(impl, args)
		for j := range gs {
			gs[j].check(t, impl, name, j)
		}
		if impl == kernels.Generic {
			want, wantR = args, res
			continue
		}
		if want == nil {
			t.Fatalf("kernels.Available() = %v does not start with %q", kernels.Available(), kernels.Generic)
		}
		for j := range args {
			for i := range args[j] {
				if !same(args[j][i], want[j][i]) {
					t.Fatalf("%s impl=%s len=%d: argument %d element %d = %v (%#x), reference %v (%#x); input %v (%#x)",
						name, impl, len(args[j]), j, i, args[j][i], bitsOf(args[j][i]),
						want[j][i], bitsOf(want[j][i]), in[j][i], bitsOf(in[j][i]))
				}
			}
		}
		for j := range res {
			if !same(res[j], wantR[j]) {
				t.Fatalf("%s impl=%s len=%d: result %d = %v (%#x), reference %v (%#x)",
					name, impl, len(in[0]), j, res[j], math.Float64bits(res[j]), wantR[j], math.Float64bits(wantR[j]))
			}
		}
	}
	return want, wantR
}

// generic runs f with the reference implementation in force.
func generic(t *testing.T, f func()) {
	t.Helper()
	old := kernels.Impl()
	if err := kernels.SetImpl(kernels.Generic); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := kernels.SetImpl(old); err != nil {
			t.Fatal(err)
		}
	}()
	f()
}

func clone[T float](x [][]T) [][]T {
	c := make([][]T, len(x))
	for j := range x {
		c[j] = append([]T(nil), x[j]...)
	}
	return c
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
