package kernels

import (
	"maps"
	"math"
	"math/rand/v2"
	stdslices "slices"
	"testing"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// The storage conversions of every implementation against the reference,
// bit for bit (NaN payloads included: the conversions are integer
// arithmetic), at every length and offset, with guard bands.

// convOf returns implementation name's conversions.
func convOf(t testing.TB, name string) *asm.Conv {
	for _, im := range available {
		if im.t32.Name == name {
			return im.conv
		}
	}
	t.Fatalf("no implementation %q", name)
	return nil
}

// namedConv is an implementation's conversions, or a variant of them.
type namedConv struct {
	name string
	c    *asm.Conv
}

// convsUnderTest returns the conversions of every available implementation
// and the variants of asm.ConvVariants.
func convsUnderTest(t testing.TB) []namedConv {
	var cs []namedConv
	for _, name := range Available() {
		cs = append(cs, namedConv{name, convOf(t, name)})
	}
	for _, name := range stdslices.Sorted(maps.Keys(asm.ConvVariants)) {
		cs = append(cs, namedConv{name, asm.ConvVariants[name]})
	}
	return cs
}

// specialF32 returns a float32 that exercises the conversions: ties and
// near-ties of bf16 and f16, subnormals of both, overflow, NaN with
// payloads, zeros and random bit patterns.
func specialF32(r *rand.Rand) float32 {
	sign := uint32(r.IntN(2)) << 31
	switch r.IntN(10) {
	case 0:
		return math.Float32frombits(r.Uint32()) // anything, NaN included
	case 1: // a bf16 tie or near tie
		return math.Float32frombits(sign | r.Uint32()&0x7fff0000 | 0x8000 + uint32(r.IntN(3)) - 1)
	case 2: // an f16 tie or near tie, in f16's range
		e := uint32(103 + r.IntN(40))
		return math.Float32frombits(sign | e<<23 | r.Uint32()&0x7fe000 | 0x1000 + uint32(r.IntN(3)) - 1)
	case 3:
		return math.Float32frombits(sign | 0x7f800000 | r.Uint32()&0x7fffff) // Inf or NaN
	case 4:
		return math.Float32frombits(sign | r.Uint32()&0x7fffff) // float32 subnormal
	case 5:
		return math.Float32frombits(sign) // ±0
	case 6: // around binary16's overflow
		return math.Float32frombits(sign | 0x477fe000 + uint32(r.IntN(0x4000)))
	}
	return float32(r.NormFloat64() * math.Ldexp(1, r.IntN(60)-30))
}

func convLengths() []int {
	var ls []int
	for _, n := range lengths() {
		ls = append(ls, n)
	}
	return append(ls, Q8Block)
}

// guarded16 and guarded8 cut slices of n elements at offset off from
// buffers with guard elements filled with sentinels.
func guardedConv[E any](n, off int, fill E) (buf, s []E) {
	buf = make([]E, n+off+2*guard)
	for i := range buf {
		buf[i] = fill
	}
	return buf, buf[guard+off : guard+off+n]
}

func TestConvBitIdentical(t *testing.T) {
	offs := 16
	for _, nc := range convsUnderTest(t) {
		name, c := nc.name, nc.c
		for _, n := range convLengths() {
			for off := range offs {
				r := rand.New(rand.NewPCG(uint64(n), uint64(off)))
				x := make([]float32, n)
				h := make([]uint16, n)
				codes := make([]uint8, n)
				for i := range x {
					x[i] = specialF32(r)
					h[i] = uint16(r.Uint32())
					codes[i] = uint8(r.Uint32())
				}
				check32 := func(what string, f, ref func(dst []float32)) {
					t.Helper()
					bw, w := guardedConv[float32](n, off, math.Float32frombits(0x7fa5a5a5))
					bg, g := guardedConv[float32](n, off, math.Float32frombits(0x7fa5a5a5))
					ref(w)
					f(g)
					if !stdslices.EqualFunc(bw, bg, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
						t.Fatalf("%s %s n=%d off=%d: differs from the reference (or wrote outside)\n got %x\nwant %x", name, what, n, off, bits32(bg), bits32(bw))
					}
				}
				check32("WidenBF16", func(d []float32) { c.WidenBF16(d, h) }, func(d []float32) { convRef.WidenBF16(d, h) })
				check32("WidenF16", func(d []float32) { c.WidenF16(d, h) }, func(d []float32) { convRef.WidenF16(d, h) })
				for _, d := range []float32{0, 1, 1e-30, 3.5e7, float32(math.NaN()), float32(math.Inf(1))} {
					check32("Q8DecodeSigned", func(x []float32) { c.Q8DecodeSigned(x, codes, d) }, func(x []float32) { convRef.Q8DecodeSigned(x, codes, d) })
					check32("Q8DecodeUnsigned", func(x []float32) { c.Q8DecodeUnsigned(x, codes, d) }, func(x []float32) { convRef.Q8DecodeUnsigned(x, codes, d) })
				}
				check16 := func(what string, f, ref func(dst []uint16)) {
					t.Helper()
					bw, w := guardedConv[uint16](n, off, 0xa5a5)
					bg, g := guardedConv[uint16](n, off, 0xa5a5)
					ref(w)
					f(g)
					if !stdslices.Equal(bw, bg) {
						t.Fatalf("%s %s n=%d off=%d: differs from the reference (or wrote outside)\n got %x\nwant %x", name, what, n, off, bg, bw)
					}
				}
				check16("NarrowBF16", func(d []uint16) { c.NarrowBF16(d, x) }, func(d []uint16) { convRef.NarrowBF16(d, x) })
				check16("NarrowF16", func(d []uint16) { c.NarrowF16(d, x) }, func(d []uint16) { convRef.NarrowF16(d, x) })
				// Encoding: a block's own scale, and scales that overflow
				// the top or underflow into the subnormal codes.
				a := absMaxRef(x)
				if g := c.AbsMax(x); math.Float32bits(g) != math.Float32bits(a) {
					t.Fatalf("%s AbsMax n=%d off=%d: %x, want %x", name, n, off, math.Float32bits(g), math.Float32bits(a))
				}
				q, _ := Q8Scales(a)
				for _, q := range []float32{q, 0, 1, 1e-20, 1e20, float32(math.Inf(1))} {
					check8 := func(what string, f, ref func(dst []uint8)) {
						t.Helper()
						bw, w := guardedConv[uint8](n, off, 0xa5)
						bg, g := guardedConv[uint8](n, off, 0xa5)
						ref(w)
						f(g)
						if !stdslices.Equal(bw, bg) {
							t.Fatalf("%s %s q=%g n=%d off=%d: differs from the reference (or wrote outside)\n got %x\nwant %x", name, what, q, n, off, bg, bw)
						}
					}
					check8("Q8EncodeSigned", func(d []uint8) { c.Q8EncodeSigned(d, x, q) }, func(d []uint8) { convRef.Q8EncodeSigned(d, x, q) })
					check8("Q8EncodeUnsigned", func(d []uint8) { c.Q8EncodeUnsigned(d, x, q) }, func(d []uint8) { convRef.Q8EncodeUnsigned(d, x, q) })
				}
			}
		}
	}
}

func bits32(x []float32) []uint32 {
	b := make([]uint32, len(x))
	for i, v := range x {
		b[i] = math.Float32bits(v)
	}
	return b
}

// q8EdgeValues returns magnitudes at the edges of map m's encoding: ties
// and near ties of the normal codes (bit 20 of the encoding) and of the
// subnormal ones (multiples of 2^(−B−2) and a half), the smallest normal
// value, the top and beyond, zeros, Inf and NaN — which random values almost
// never hit.
func q8EdgeValues(m Q8Map) []float32 {
	var ys []float32
	near := func(b uint32) {
		for d := -2; d <= 2; d++ {
			ys = append(ys, math.Float32frombits(b+uint32(d)))
		}
	}
	for e := uint32(127 - m.bias - 3); e <= 129; e++ {
		for f := uint32(0); f < 8; f++ {
			near(e<<23 | f<<20 | 0x80000) // tie between codes
			near(e<<23 | f<<20)           // a code
		}
	}
	unit := math.Float32frombits((127 - m.bias - 2) << 23) // 2^(−B−2)
	for k := 0; k <= 16; k++ {
		near(math.Float32bits(float32(k) * unit))
		near(math.Float32bits((float32(k) + 0.5) * unit))
	}
	near(math.Float32bits(Q8Top))
	near(math.Float32bits(1.9375))
	near(0x7f800000)
	return append(ys, 0, math.Float32frombits(0x7fc00000), math.Float32frombits(0x7f800001), math.Float32frombits(1))
}

func TestConvQ8Edges(t *testing.T) {
	for _, nc := range convsUnderTest(t) {
		for _, m := range []Q8Map{Q8Signed, Q8Unsigned} {
			ys := q8EdgeValues(m)
			x := make([]float32, 0, 2*len(ys))
			for _, y := range ys {
				x = append(x, y, -y)
			}
			for _, q := range []float32{1, 0.5, 2, 3} {
				got, want := make([]uint8, len(x)), make([]uint8, len(x))
				q8EncodeRef(m, want, x, q)
				enc, dec := nc.c.Q8EncodeUnsigned, nc.c.Q8DecodeUnsigned
				if m.Signed {
					enc, dec = nc.c.Q8EncodeSigned, nc.c.Q8DecodeSigned
				}
				enc(got, x, q)
				for i := range got {
					if got[i] != want[i] {
						t.Fatalf("%s signed=%v q=%g: x=%x (%g) encodes as %#x, want %#x", nc.name, m.Signed, q, math.Float32bits(x[i]), x[i], got[i], want[i])
					}
				}
				// Every code decodes as the reference does.
				codes := make([]uint8, 256)
				for i := range codes {
					codes[i] = uint8(i)
				}
				gv, wv := make([]float32, 256), make([]float32, 256)
				q8DecodeRef(m, wv, codes, q)
				dec(gv, codes, q)
				for i := range gv {
					if math.Float32bits(gv[i]) != math.Float32bits(wv[i]) {
						t.Fatalf("%s signed=%v d=%g: code %#x decodes as %x, want %x", nc.name, m.Signed, q, i, math.Float32bits(gv[i]), math.Float32bits(wv[i]))
					}
				}
			}
		}
	}
}
