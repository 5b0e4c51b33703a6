package kernels

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestBF16 checks the bfloat16 conversions: every bfloat16 survives the
// round trip, and a float32 rounds to the nearer neighbour (ties to the
// even one), checked against float64 arithmetic.
func TestBF16(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		x := FromBF16(uint16(h))
		if x != x {
			if g := ToBF16(x); g != uint16(h)|0x40 {
				t.Fatalf("NaN %#04x → %#04x", h, g)
			}
			continue
		}
		if g := ToBF16(x); g != uint16(h) {
			t.Fatalf("%#04x (%g) → %#04x", h, x, g)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1 << 20 {
		b := r.Uint32()
		x := math.Float32frombits(b)
		if x != x {
			continue
		}
		checkNearest(t, "bf16", float64(x), ToBF16(x), FromBF16, func(h uint16) uint16 { return h + 1 }, 0x7f80)
	}
}

// checkNearest checks that h is the nearest of its neighbours in the
// format to x (ties to the even code), for finite results.
func checkNearest(t *testing.T, name string, x float64, h uint16, val func(uint16) float32, next func(uint16) uint16, inf uint16) {
	t.Helper()
	mag := h & 0x7fff
	if mag >= inf { // overflow: x must be beyond the largest finite value's half-step
		big := float64(val(inf - 1))
		step := big - float64(val(inf-2))
		if math.Abs(x) < big+step/2 {
			t.Fatalf("%s: %g rounds to Inf", name, x)
		}
		return
	}
	v := math.Abs(float64(val(h)))
	ax := math.Abs(x)
	lo, hi := v, v
	if mag > 0 {
		lo = math.Abs(float64(val(h - 1)))
	}
	hi = math.Abs(float64(val(next(h))))
	if math.IsInf(hi, 0) {
		hi = v + (v - lo)
	}
	if d := math.Abs(ax - v); d > math.Abs(ax-lo) || d > math.Abs(hi-ax) {
		t.Fatalf("%s: %g → %#04x (%g), not the nearest (%g, %g)", name, x, h, v, lo, hi)
	}
	if d := math.Abs(ax - v); (d == math.Abs(ax-lo) && mag > 0 && lo != v || d == math.Abs(hi-ax) && hi != v) && h&1 != 0 {
		t.Fatalf("%s: %g → %#04x: a tie not rounded to even", name, x, h)
	}
}

// TestF16 checks binary16: exhaustive round trip, the value of every code
// against its definition, and rounding of random and boundary float32s.
func TestF16(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		x := FromF16(uint16(h))
		e, f := (h>>10)&0x1f, float64(h&0x3ff)
		var want float64
		switch {
		case e == 0x1f && f != 0:
			if x == x {
				t.Fatalf("%#04x is not NaN", h)
			}
			if g := ToF16(x); g != uint16(h)|0x200 {
				t.Fatalf("NaN %#04x → %#04x", h, g)
			}
			continue
		case e == 0x1f:
			want = math.Inf(1)
		case e == 0:
			want = f * math.Pow(2, -24)
		default:
			want = (1 + f/1024) * math.Pow(2, float64(e-15))
		}
		if h&0x8000 != 0 {
			want = -want
		}
		if float64(x) != want || math.Signbit(float64(x)) != (h&0x8000 != 0) {
			t.Fatalf("FromF16(%#04x) = %g, want %g", h, x, want)
		}
		if g := ToF16(x); g != uint16(h) {
			t.Fatalf("%#04x (%g) → %#04x", h, x, g)
		}
		// The midpoint to the next code up is a tie: it goes to the even one.
		if e < 0x1f && h&0x7fff < 0x7bff {
			next := float64(FromF16(uint16(h + 1)))
			mid := float32((float64(x) + next) / 2)
			even := uint16(h)
			if h&1 != 0 {
				even = uint16(h + 1)
			}
			if g := ToF16(mid); g != even {
				t.Fatalf("tie %g between %#04x and %#04x → %#04x", mid, h, h+1, g)
			}
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 1 << 20 {
		// exponents around binary16's range
		x := float32(math.Ldexp(r.Float64()+0.5, r.IntN(50)-30))
		if r.IntN(2) == 0 {
			x = -x
		}
		checkNearest(t, "f16", float64(x), ToF16(x), FromF16, func(h uint16) uint16 { return h + 1 }, 0x7c00)
	}
}

// q8Ref encodes y ≥ 0 by search: the nearest of the map's values, ties to
// the even code, in float64.
func q8Ref(m Q8Map, y float32) uint8 {
	if y != y {
		return uint8(m.max)
	}
	best, bd := uint32(0), math.Inf(1)
	for c := uint32(0); c <= m.max; c++ {
		d := math.Abs(float64(y) - float64(m.Value(uint8(c))))
		if d < bd || d == bd && c&1 == 0 {
			best, bd = c, d
		}
	}
	return uint8(best)
}

// TestQ8Map checks the maps: their values are increasing, exact powers of
// two times 1 + f/8, and Encode agrees with a search for the nearest value
// over random inputs and every midpoint.
func TestQ8Map(t *testing.T) {
	for _, m := range []Q8Map{Q8Signed, Q8Unsigned} {
		var vals []float64
		for c := uint32(0); c <= m.max; c++ {
			v := float64(m.Value(uint8(c)))
			e, f := c>>3, float64(c&7)
			want := f / 8 * math.Pow(2, 1-float64(m.bias))
			if e > 0 {
				want = (1 + f/8) * math.Pow(2, float64(e)-float64(m.bias))
			}
			if v != want {
				t.Fatalf("%+v: Value(%#x) = %g, want %g", m, c, v, want)
			}
			if m.Encode(float32(v)) != uint8(c) {
				t.Fatalf("%+v: Encode(Value(%#x)) = %#x", m, c, m.Encode(float32(v)))
			}
			vals = append(vals, v)
		}
		if !sort.Float64sAreSorted(vals) || vals[len(vals)-1] != Q8Top {
			t.Fatalf("%+v: values not increasing to Q8Top", m)
		}
		for c := 0; c+1 < len(vals); c++ {
			mid := float32((vals[c] + vals[c+1]) / 2)
			for _, y := range []float32{mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, 2)} {
				if g, w := m.Encode(y), q8Ref(m, y); g != w {
					t.Fatalf("%+v: Encode(%g) = %#x, want %#x", m, y, g, w)
				}
			}
		}
		r := rand.New(rand.NewPCG(5, 6))
		for range 200000 {
			y := float32(math.Ldexp(r.Float64(), -r.IntN(40)))
			if g, w := m.Encode(y), q8Ref(m, y); g != w {
				t.Fatalf("%+v: Encode(%g) = %#x, want %#x", m, y, g, w)
			}
		}
		for _, y := range []float32{float32(math.NaN()), float32(math.Inf(1)), 1.875 * (1 + 0x1p-23), 2, 1e30} {
			if g := m.Encode(y); g != uint8(m.max) {
				t.Fatalf("%+v: Encode(%g) = %#x, want the top", m, y, g)
			}
		}
	}
}

// TestQ8RoundTrip checks quantizing a block against a float64 evaluation
// of the definition: every decoded element is within half a step of the
// map (relative 1/16 of the value, or the subnormal step) of the original,
// the block's maximum decodes to itself within one rounding, zero blocks
// stay zero, and NaN poisons the block.
func TestQ8RoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, m := range []Q8Map{Q8Signed, Q8Unsigned} {
		for trial := range 2000 {
			n := 1 + r.IntN(Q8Block)
			x := make([]float32, n)
			scale := math.Ldexp(1, r.IntN(60)-30)
			for i := range x {
				v := float32(r.NormFloat64() * scale * math.Exp(r.NormFloat64()*3))
				if !m.Signed {
					v = v * v
				}
				x[i] = v
			}
			if trial%50 == 0 {
				clear(x)
			}
			codes := make([]uint8, n)
			a := Q8Quantize(m, codes, x)
			var amax float64
			for _, v := range x {
				amax = math.Max(amax, math.Abs(float64(v)))
			}
			if float64(a) != amax {
				t.Fatalf("absmax %g, want %g", a, amax)
			}
			y := make([]float32, n)
			Q8Dequantize(m, y, codes, a)
			sub := math.Pow(2, 1-float64(m.bias)) / Q8Top * amax // smallest normal, scaled
			for i := range x {
				d := math.Abs(float64(y[i]) - float64(x[i]))
				tol := math.Max(math.Abs(float64(x[i]))/16, sub/16) * (1 + 1e-5)
				if d > tol || math.Signbit(float64(y[i])) != math.Signbit(float64(x[i])) && y[i] != 0 {
					t.Fatalf("%+v: x=%g decodes to %g (|Δ| %g > %g)", m, x[i], y[i], d, tol)
				}
			}
		}
		x := []float32{1, 2, float32(math.NaN()), 4}
		codes := make([]uint8, 4)
		a := Q8Quantize(m, codes, x)
		y := make([]float32, 4)
		Q8Dequantize(m, y, codes, a)
		for i, v := range y {
			if v == v {
				t.Fatalf("NaN block: element %d decodes to %g", i, v)
			}
		}
	}
}
