package kernels

import (
	"math"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// Storage formats. The kernels compute in float32 or float64; a tensor may
// be stored narrower — 16-bit floats (bfloat16, IEEE binary16) or 8-bit
// blockwise-quantized codes — and is converted on the way in and out of a
// step by the functions of this file, whose results are defined bit for bit
// (integer operations on the encodings, and IEEE operations that are exactly
// rounded), so every implementation converts identically.

// Half is a 16-bit floating-point storage format.
type Half uint8

// The 16-bit formats.
const (
	BF16 Half = iota + 1 // bfloat16: float32's sign and exponent, 7 fraction bits
	F16                  // IEEE 754 binary16: 5 exponent bits, 10 fraction bits
)

func (h Half) String() string {
	switch h {
	case BF16:
		return "BF16"
	case F16:
		return "F16"
	}
	return "Half(?)"
}

// ToBF16 rounds x to bfloat16, to nearest with ties to even. Overflow gives
// ±Inf; a NaN stays a NaN of the same sign (quiet, its payload's top bits
// kept); subnormals round like any other value (no flush to zero).
func ToBF16(x float32) uint16 {
	b := math.Float32bits(x)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// FromBF16 returns the float32 value of bfloat16 h (exact).
func FromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// ToF16 rounds x to IEEE binary16, to nearest with ties to even: values of
// magnitude 65520 and more give ±Inf, values below 2^-14 round to the
// subnormals (no flush to zero), a NaN stays a NaN of the same sign (quiet,
// the top 9 bits of its payload kept), as x86's VCVTPS2PH and arm64's FCVT
// convert.
func ToF16(x float32) uint16 {
	b := math.Float32bits(x)
	sign := uint16(b>>16) & 0x8000
	a := b & 0x7fffffff
	switch {
	case a > 0x7f800000: // NaN
		return sign | 0x7e00 | uint16(a>>13)&0x3ff
	case a >= 0x477ff000: // ≥ 65520: rounds to Inf (Inf itself too)
		return sign | 0x7c00
	case a >= 0x38800000: // ≥ 2^-14: normal
		a += 0xfff + (a>>13)&1
		return sign | uint16((a-112<<23)>>13)
	}
	// Subnormal result: the value is m·2^(e−150) with m the significand
	// (implicit bit included); in units of 2^-24 that is m·2^(e−126), a
	// right shift by s = 126 − e ≥ 14, rounded to nearest even.
	e := a >> 23
	if e < 102 { // below 2^-25: rounds to zero (float32 subnormals too)
		return sign
	}
	m := a&0x7fffff | 0x800000
	s := 126 - e
	return sign | uint16((m+(1<<(s-1))-1+(m>>s)&1)>>s)
}

// FromF16 returns the float32 value of binary16 h (exact).
func FromF16(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	a := uint32(h & 0x7fff)
	switch {
	case a >= 0x7c00: // Inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | (a&0x3ff)<<13)
	case a >= 0x400: // normal
		return math.Float32frombits(sign | (a<<13 + 112<<23))
	}
	// subnormal: a·2^-24, exact in float32
	return math.Float32frombits(sign | math.Float32bits(float32(a)*0x1p-24))
}

// Blockwise 8-bit quantization. A tensor's state is cut into blocks of
// Q8Block elements (the last one shorter), each stored as one code per
// element and the block's absolute maximum A, a float32:
//
//	A      = max |x[i]| over the block (NaN if any element is NaN)
//	q      = A > 0 ? Q8Top/A : 0            (float32 division)
//	code   = encode(|x[i]|·q), | 0x80 if x[i]'s sign bit is set (signed map)
//	x̃[i]  = ±value(code)·(A/Q8Top)          (float32 division and product)
//
// The maps are 8-bit floating-point formats with subnormals and no
// infinities, scaled so that their largest value, Q8Top = 1.875, is the
// block's maximum — a dynamic-exponent map, as bitsandbytes' dynamic
// quantization, but in base 2 so that encoding is exact arithmetic on the
// float32 encoding instead of a search:
//
//   - the signed map (first moments, momentum): a sign bit, 4 exponent bits
//     and 3 fraction bits: magnitudes (1 + f/8)·2^(e−15) for e = 1…15 and
//     f/8·2^-14 for e = 0 — from 1.875 down to 2^-17 (7.6·10^-6 of the
//     maximum), 8 values per octave;
//   - the unsigned map (second moments): 5 exponent bits and 3 fraction
//     bits: (1 + f/8)·2^(e−31) for e = 1…31 and f/8·2^-30 for e = 0 — down
//     to 2^-33 (6·10^-11 of the maximum, so that a small second moment is
//     not flushed to zero under a large first moment of its block).
//
// encode rounds to the nearest value of the map, ties to even code, values
// above the top (from the rounding of q) to the top; a NaN encodes as the
// top code, so a block with a NaN decodes to NaN throughout (the 8-bit state
// cannot keep a NaN per element) — as would Inf. An all-zero block stays
// zero: A = 0 and every code 0.
const (
	Q8Block = 256
	Q8Top   = 1.875
)

// Q8Map is one of the two maps.
type Q8Map struct {
	Signed bool
	bias   uint32 // B: the exponent of the top octave is 0, e − B
	max    uint32 // largest magnitude code
}

// The maps of the signed (first-moment) and unsigned (second-moment) state.
var (
	Q8Signed   = Q8Map{Signed: true, bias: 15, max: 0x7f}
	Q8Unsigned = Q8Map{Signed: false, bias: 31, max: 0xff}
)

// Q8Blocks returns the number of blocks of a tensor of n elements.
func Q8Blocks(n int) int { return (n + Q8Block - 1) / Q8Block }

// Value returns the magnitude of code c (its sign bit ignored for the signed
// map) before scaling: a value in [0, Q8Top].
func (m Q8Map) Value(c uint8) float32 {
	a := uint32(c) & m.max
	if a < 8 { // subnormal: f·2^(−B−2)
		return float32(a) * math.Float32frombits((127-m.bias-2)<<23)
	}
	return math.Float32frombits((a + (127-m.bias)<<3) << 20)
}

// Encode returns the code of y = |x|·q ≥ 0 (or NaN), without the sign.
func (m Q8Map) Encode(y float32) uint8 {
	if y < math.Float32frombits((128-m.bias)<<23) { // below the smallest normal 2^(1−B)
		// y·2^(B+2) is exact and below 8.5; round to nearest even.
		return uint8(math.RoundToEven(float64(y * math.Float32frombits((127+m.bias+2)<<23))))
	}
	b := math.Float32bits(y)
	c := (b+0x7ffff+(b>>20)&1)>>20 - (127-m.bias)<<3 // NaN's and the top's overflow: above max
	if c > m.max {                                   // unsigned: wrapped NaN patterns are large too
		c = m.max
	}
	return uint8(c)
}

// Scales returns the block's encoding factor q and decoding factor d for
// its absolute maximum a.
func Q8Scales(a float32) (q, d float32) {
	if a > 0 {
		q = Q8Top / a
	}
	return q, a / Q8Top
}

// Q8Quantize encodes x (one block, at most Q8Block elements) into codes
// with map m and returns the block's absolute maximum (the quiet NaN
// 0x7fc00000 when an element is NaN, whatever its payload).
func Q8Quantize(m Q8Map, codes []uint8, x []float32) (absmax float32) {
	c := cur.conv
	a := c.AbsMax(x)
	q, _ := Q8Scales(a)
	if m.Signed {
		c.Q8EncodeSigned(codes[:len(x)], x, q)
	} else {
		c.Q8EncodeUnsigned(codes[:len(x)], x, q)
	}
	return a
}

// Q8Dequantize decodes one block: x[i] = ±value(codes[i])·(absmax/Q8Top).
func Q8Dequantize(m Q8Map, x []float32, codes []uint8, absmax float32) {
	_, d := Q8Scales(absmax)
	if m.Signed {
		cur.conv.Q8DecodeSigned(x, codes[:len(x)], d)
	} else {
		cur.conv.Q8DecodeUnsigned(x, codes[:len(x)], d)
	}
}

// The reference conversions.

// absMaxRef returns max |x[i]|, or the quiet NaN 0x7fc00000 if an element
// is NaN (0 for no elements).
func absMaxRef(x []float32) float32 {
	// Non-negative floats order as their encodings do.
	var a uint32
	for _, v := range x {
		b := math.Float32bits(v) &^ (1 << 31)
		if b > 0x7f800000 {
			return math.Float32frombits(0x7fc00000)
		}
		if b > a {
			a = b
		}
	}
	return math.Float32frombits(a)
}

// q8EncodeRef sets codes[i] = m.Encode(|x[i]|·q), with the sign bit for the
// signed map.
func q8EncodeRef(m Q8Map, codes []uint8, x []float32, q float32) {
	codes = codes[:len(x)]
	for i, v := range x {
		c := m.Encode(abs32(v) * q)
		if m.Signed && math.Float32bits(v)>>31 != 0 {
			c |= 0x80
		}
		codes[i] = c
	}
}

// q8DecodeRef sets x[i] = m.Value(codes[i])·d, negated when the signed
// map's sign bit is set.
func q8DecodeRef(m Q8Map, x []float32, codes []uint8, d float32) {
	codes = codes[:len(x)]
	for i, c := range codes {
		v := m.Value(c) * d
		if m.Signed && c&0x80 != 0 {
			v = -v
		}
		x[i] = v
	}
}

func widenBF16Ref(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = FromBF16(h)
	}
}

func widenF16Ref(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = FromF16(h)
	}
}

func narrowBF16Ref(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = ToBF16(x)
	}
}

func narrowF16Ref(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, x := range src {
		dst[i] = ToF16(x)
	}
}

// convRef is the reference implementation's conversions.
var convRef = &asm.Conv{
	WidenBF16: widenBF16Ref, WidenF16: widenF16Ref, NarrowBF16: narrowBF16Ref, NarrowF16: narrowF16Ref,
	AbsMax:           absMaxRef,
	Q8EncodeSigned:   func(c []uint8, x []float32, q float32) { q8EncodeRef(Q8Signed, c, x, q) },
	Q8EncodeUnsigned: func(c []uint8, x []float32, q float32) { q8EncodeRef(Q8Unsigned, c, x, q) },
	Q8DecodeSigned:   func(x []float32, c []uint8, d float32) { q8DecodeRef(Q8Signed, x, c, d) },
	Q8DecodeUnsigned: func(x []float32, c []uint8, d float32) { q8DecodeRef(Q8Unsigned, x, c, d) },
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
