package spec

import (
	"fmt"
	"math"
	"strings"
)

// The storage conversions' Go side (asm.Conv). Each assembly conversion
// converts whole groups of elements only; its wrapper runs the last, partial
// group through a buffer on the stack.

// ConvFunc is one wrapped conversion: the assembly function Name+ISA with
// arguments (dst []Dst, src []Src) and, where Arg is set, a float32 Arg.
type ConvFunc struct{ Name, Dst, Src, Arg string }

// ConvFuncs are the conversions of asm.Conv but AbsMax, which has its own
// wrapper (over AbsMaxBits…).
var ConvFuncs = []ConvFunc{
	{"WidenBF16", "float32", "uint16", ""},
	{"WidenF16", "float32", "uint16", ""},
	{"NarrowBF16", "uint16", "float32", ""},
	{"NarrowF16", "uint16", "float32", ""},
	{"Q8EncodeSigned", "uint8", "float32", "q"},
	{"Q8EncodeUnsigned", "uint8", "float32", "q"},
	{"Q8DecodeSigned", "float32", "uint8", "d"},
	{"Q8DecodeUnsigned", "float32", "uint8", "d"},
}

// ConvISA is one ISA's conversions: Group elements per assembly iteration,
// and further functions to wrap (variants the init code may choose).
type ConvISA struct {
	Name  string
	Group int
	Extra []ConvFunc
}

func lowerFirst(s string) string { return strings.ToLower(s[:1]) + s[1:] }

// ConvFile is a Go file (build constraint cons) with the wrappers of the
// ISAs' conversions and an init function that sets asm.Conv<ISA> and then
// runs initExtra; imports are its imports besides math.
func ConvFile(cons string, isas []ConvISA, imports []string, initExtra string) string {
	var b strings.Builder
	b.WriteString(Header + "//go:build " + cons + "\n\npackage asm\n\nimport (\n\t\"math\"\n")
	if len(imports) > 0 {
		b.WriteString("\n")
		for _, im := range imports {
			fmt.Fprintf(&b, "\t%q\n", im)
		}
	}
	b.WriteString(")\n\nfunc init() {\n")
	for _, x := range isas {
		fmt.Fprintf(&b, "\tConv%s = &Conv{\n", x.Name)
		for _, f := range []string{"WidenBF16", "WidenF16", "NarrowBF16", "NarrowF16", "AbsMax", "Q8EncodeSigned", "Q8EncodeUnsigned", "Q8DecodeSigned", "Q8DecodeUnsigned"} {
			fmt.Fprintf(&b, "\t\t%s: %s%s,\n", f, lowerFirst(f), x.Name)
		}
		b.WriteString("\t}\n")
	}
	b.WriteString(initExtra)
	b.WriteString("}\n")
	for _, x := range isas {
		G := x.Group
		for _, f := range append(append([]ConvFunc{}, ConvFuncs...), x.Extra...) {
			param, arg := "", ""
			if f.Arg != "" {
				param, arg = ", "+f.Arg+" float32", ", "+f.Arg
			}
			fmt.Fprintf(&b, `
// %[4]s%[2]s runs %[1]s%[2]s on whole groups of %[3]d elements, and on the last,
// partial group through a buffer.
func %[4]s%[2]s(dst []%[5]s, src []%[6]s%[7]s) {
	n := len(src)
	m := n &^ %[9]d
	%[1]s%[2]s(dst[:m], src[:m]%[8]s)
	if m < n {
		var in [%[3]d]%[6]s
		var out [%[3]d]%[5]s
		copy(in[:], src[m:])
		%[1]s%[2]s(out[:], in[:]%[8]s)
		copy(dst[m:n], out[:])
	}
}
`, f.Name, x.Name, G, lowerFirst(f.Name), f.Dst, f.Src, param, arg, G-1)
		}
		fmt.Fprintf(&b, `
// absMax%[1]s returns absMaxRef(x) in package kernels from AbsMaxBits%[1]s on
// whole groups of %[2]d elements and on the last, partial group padded with
// zeros: the quiet NaN 0x7fc00000 when the largest bits are a NaN's.
func absMax%[1]s(x []float32) float32 {
	n := len(x)
	m := n &^ %[3]d
	a := AbsMaxBits%[1]s(x[:m])
	if m < n {
		var s [%[2]d]float32
		copy(s[:], x[m:])
		a = max(a, AbsMaxBits%[1]s(s[:]))
	}
	if a > 0x7f800000 {
		a = 0x7fc00000
	}
	return math.Float32frombits(a)
}
`, x.Name, G, G-1)
	}
	return b.String()
}

// convDocs is the section of docs/kernels.md on the storage conversions.
const convDocs = `
## Storage conversions

The conversions of ` + "`asm.Conv`" + ` (package ` + "`kernels`" + `' format.go) between the kernels' float32 and the storage
formats — bfloat16, IEEE binary16 and blockwise 8-bit codes — are lowered by hand (` + "`_gen/conv.go`" + `,
` + "`_gen/neon/conv.go`" + `) and match their reference bit for bit, NaN payloads included. Each assembly function
converts whole groups of 32 (AVX2), 64 (AVX-512) or 16 (NEON) elements; its Go wrapper runs the last, partial
group through a buffer on the stack.

| conversion | reference | AVX2 | AVX-512F | NEON |
|---|---|---|---|---|
| WidenBF16 | ` + "`widenBF16Ref`" + ` | shift | shift | ZIP with zeros |
| NarrowBF16 | ` + "`narrowBF16Ref`" + ` | integer rounding, NaN blend (skipped for a group without NaNs) | integer rounding, masked NaN | integer rounding, NaN select |
| WidenF16 | ` + "`widenF16Ref`" + ` | VCVTPH2PS (F16C; integer without), quiet bit restored | VCVTPH2PS, quiet bit restored | FCVTL, quiet bit restored |
| NarrowF16 | ` + "`narrowF16Ref`" + ` | VCVTPS2PH (F16C; integer without) | VCVTPS2PH | FCVTN |
| AbsMax | ` + "`absMaxRef`" + ` | integer max of the bits | integer max of the bits | integer max of the bits |
| Q8Encode… | ` + "`q8EncodeRef`" + ` | max(min(s, 8), n), saturating packs | masked VCVTPS2DQ, VPMOVUSDB | FCVTNS, select, UMIN |
| Q8Decode… | ` + "`q8DecodeRef`" + ` | VPSHUFB byte tables (arithmetic for a non-finite d, signed) | masked multiply | TBL byte tables (arithmetic for a non-finite d, signed) |

VCVTPS2PH with rounding to nearest even gives ` + "`ToF16`" + ` on all 2^32 float32 inputs (checked on an x86 CPU with
F16C), and so does FCVTN (checked under qemu-aarch64); VCVTPH2PS and FCVTL quiet a signaling NaN, which the
lowerings undo. AVX512-BF16's VCVTNEPS2BF16 is not used: it flushes
subnormal inputs to zero.
`

// Q8Tables are the byte tables of the 8-bit decoding by table lookups (AVX2
// VPSHUFB, NEON TBL) for the map with bias B and, if signed, the sign in
// the code's bit 7. Every value has zero low 16 bits, and its high 16 bits
// are (h + K)<<8 | l<<4 for a = 16h + l ≥ 8 (K the high byte of
// (127−B)<<23); the high byte is HA[h] | HB[a] and the low byte
// LA[l] ^ LB[a], where HB and LB, looked up only for a < 16 (zero
// otherwise), make the subnormal values a·2^(−B−2) for a < 8. For the
// signed map, h is the code's high nibble, whose bit 3 is the sign: HA puts
// it in the value's sign bit.
func Q8Tables(signed bool, bias uint32) (ha, hb, la, lb [16]byte) {
	k2 := byte((127 - bias) >> 1) // the high byte of (127−B)<<23
	sub := func(a int) (hi, lo byte) {
		b := math.Float32bits(float32(a) * math.Float32frombits((127-bias-2)<<23))
		if b&0xffff != 0 {
			panic("subnormal code with low bits")
		}
		return byte(b >> 24), byte(b >> 16)
	}
	for i := range 16 {
		h := i
		if signed {
			h = i & 7
			if i&8 != 0 {
				ha[i] = 0x80
			}
		}
		if h != 0 {
			ha[i] |= k2 + byte(h)
		}
		la[i] = byte(i << 4)
		if i < 8 {
			hi, lo := sub(i)
			hb[i], lb[i] = hi, la[i]^lo
		} else {
			hb[i] = k2
		}
	}
	return
}
