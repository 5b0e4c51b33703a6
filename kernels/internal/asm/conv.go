package asm

// Conv holds one implementation's storage conversions, defined in package
// kernels (format.go) by the reference functions each must match bit for
// bit. Every function handles any length; dst and src have equal lengths
// (the caller slices them).
type Conv struct {
	WidenBF16  func(dst []float32, src []uint16) // dst[i] = FromBF16(src[i])
	WidenF16   func(dst []float32, src []uint16) // dst[i] = FromF16(src[i])
	NarrowBF16 func(dst []uint16, src []float32) // dst[i] = ToBF16(src[i])
	NarrowF16  func(dst []uint16, src []float32) // dst[i] = ToF16(src[i])

	// AbsMax returns max |x[i]| (0 for none), or the quiet NaN 0x7fc00000
	// when an element is NaN.
	AbsMax func(x []float32) float32
	// Q8Encode… set codes[i] = map.Encode(|x[i]|·q), | 0x80 for a negative
	// sign bit with the signed map; Q8Decode… set x[i] = ±map.Value(codes[i])·d.
	Q8EncodeSigned   func(codes []uint8, x []float32, q float32)
	Q8EncodeUnsigned func(codes []uint8, x []float32, q float32)
	Q8DecodeSigned   func(x []float32, codes []uint8, d float32)
	Q8DecodeUnsigned func(x []float32, codes []uint8, d float32)
}

// The conversions of the assembly implementations: nil where this build has
// none (package kernels then uses the reference conversions with that
// implementation's kernels). The files that implement them set these in an
// init function.
var ConvAVX2, ConvAVX512, ConvNEON *Conv

// ConvVariants holds, by name, conversions that this CPU runs but that the
// implementations' tables do not use — the AVX2 integer binary16
// conversions where F16C gives the same results faster — so that the tests
// check them too.
var ConvVariants = map[string]*Conv{}
