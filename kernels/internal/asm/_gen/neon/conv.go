package main

import (
	"fmt"

	"github.com/descent-go/descent/kernels/internal/asm/_gen/spec"
)

// The storage conversions (asm.Conv) on NEON, lowered by hand: integer
// arithmetic on the encodings and float operations that are exact or
// rounded once as in the reference, so every result matches package
// kernels' reference (format.go) bit for bit. FCVTN and FCVTL convert
// binary16 as ToF16 and FromF16 do (FPCR as Go leaves it: round to nearest
// even, no flush to zero, NaNs propagated), but for FCVTL's quieting of a
// signaling NaN, which is undone. Each function converts whole groups of
// convGroup elements; the Go wrappers (spec.ConvFile) run the last, partial
// group through a buffer.

const convGroup = 16

// fcvtlh emits Vd.4S = float32(Vn.4H) (FCVTL), or of the high four halves
// of Vn (FCVTL2): 0 Q 0 01110 0 sz 10000 10111 10 Rn Rd with sz = 0.
func (a *asmFile) fcvtlh(d, n int, upper bool) {
	w := 0x0e217800 | reg5(n)<<5 | reg5(d)
	if upper {
		a.word(w|1<<30, fmt.Sprintf("fcvtl2 v%d.4s, v%d.8h", d, n))
		return
	}
	a.word(w, fmt.Sprintf("fcvtl v%d.4s, v%d.4h", d, n))
}

// fcvtnh emits Vd.4H = binary16(Vn.4S) (FCVTN), or into the high four
// halves of Vd, keeping the low ones (FCVTN2): 0 Q 0 01110 0 sz 10000 10110
// 10 Rn Rd with sz = 0.
func (a *asmFile) fcvtnh(d, n int, upper bool) {
	w := 0x0e216800 | reg5(n)<<5 | reg5(d)
	if upper {
		a.word(w|1<<30, fmt.Sprintf("fcvtn2 v%d.8h, v%d.4s", d, n))
		return
	}
	a.word(w, fmt.Sprintf("fcvtn v%d.4h, v%d.4s", d, n))
}

// ucvtf emits Vd.4S = float32(Vn.4S as uint32): 0 Q 1 01110 0 sz 10000 11101
// 10 Rn Rd with Q = 1, sz = 0.
func (a *asmFile) ucvtf(d, n int) {
	a.word(0x6e21d800|reg5(n)<<5|reg5(d), fmt.Sprintf("ucvtf v%d.4s, v%d.4s", d, n))
}

// fcvtns emits Vd.4S = int32(Vn.4S) rounded to nearest, ties to even:
// 0 Q 0 01110 0 sz 10000 11010 10 Rn Rd with Q = 1, sz = 0.
func (a *asmFile) fcvtns(d, n int) {
	a.word(0x4e21a800|reg5(n)<<5|reg5(d), fmt.Sprintf("fcvtns v%d.4s, v%d.4s", d, n))
}

// dup32 sets every 32-bit lane of Vr to v (through R9).
func (a *asmFile) dup32(r int, v uint32, what string) {
	a.comment("V%d = %s in every lane", r, what)
	a.ins("MOVW $0x%08x, R9", v)
	a.ins("VDUP R9, V%d.S4", r)
}

// dupParam sets every lane of Vr to the float32 argument name.
func (a *asmFile) dupParam(f *fn, r int, name string) {
	a.comment("V%d = %s in every lane", r, name)
	a.ins("FMOVS %s, F%d", f.at(name), r)
	a.ins("VDUP V%d.S[0], V%d.S4", r, r)
}

// convText starts conversion name: arguments (dst []Dst, src []Src) (and
// the float32 arg) or, for AbsMaxBits, (x []float32) uint32. R0 is dst's
// base, R1 src's, R2 the length of src; R8 counts the groups.
func convText(g *gen, name string, args []param, results []param, doc ...string) *fn {
	doc[0] = name + "NEON " + doc[0]
	doc = append(doc, fmt.Sprintf("It converts the first len/%d·%d elements only (whole groups of %d).", convGroup, convGroup, convGroup))
	f := &fn{name: name + "NEON", args: args, results: results, unnamed: len(results) > 0, doc: doc}
	g.text(f)
	return f
}

// convLoop emits the loop over the groups of the length in R2, body
// emitting one group.
func convLoop(a *asmFile, body func()) {
	a.ins("LSR $%d, R2, R8", log2(convGroup))
	a.ins("CBZ R8, done")
	a.label("loop")
	body()
	a.ins("SUBS $1, R8, R8")
	a.ins("BNE loop")
	a.label("done")
}

func widenBF16(g *gen) {
	f := convText(g, "WidenBF16", []param{{"dst", "[]float32"}, {"src", "[]uint16"}}, nil,
		"sets dst[i] = FromBF16(src[i]) as widenBF16Ref in package kernels:",
		"the bits h<<16 (ZIP1 and ZIP2 with zeros).")
	a := &g.a
	a.ins("MOVD %s, R0", f.base("dst"))
	a.ins("MOVD %s, R1", f.base("src"))
	a.ins("MOVD %s, R2", f.len("src"))
	a.ins("VEOR V31.B16, V31.B16, V31.B16")
	convLoop(a, func() {
		a.ins("VLD1.P 32(R1), [V0.H8, V1.H8]")
		for r := range 2 {
			a.ins("VZIP1 V%d.H8, V31.H8, V%d.H8", r, 2+2*r)
			a.ins("VZIP2 V%d.H8, V31.H8, V%d.H8", r, 3+2*r)
		}
		a.ins("VST1.P [V2.S4, V3.S4, V4.S4, V5.S4], 64(R0)")
	})
	a.ins("RET")
}

func narrowBF16(g *gen) {
	f := convText(g, "NarrowBF16", []param{{"dst", "[]uint16"}, {"src", "[]float32"}}, nil,
		"sets dst[i] = ToBF16(src[i]) as narrowBF16Ref in package kernels:",
		"(b + 0x7fff + (b>>16)&1) >> 16 of the bits b, or (b>>16) | 0x40 for a NaN.")
	a := &g.a
	a.ins("MOVD %s, R0", f.base("dst"))
	a.ins("MOVD %s, R1", f.base("src"))
	a.ins("MOVD %s, R2", f.len("src"))
	a.dup32(31, 1, "1")
	a.dup32(30, 0x7fff, "0x7fff")
	a.dup32(29, 0x400000, "the quiet bit")
	convLoop(a, func() {
		a.ins("VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]")
		for r := range 4 {
			a.fp3("fcmeq", a4s, 4+r, r, r) // not NaN
			a.ins("VUSHR $16, V%d.S4, V%d.S4", r, 8+r)
			a.ins("VAND V31.B16, V%d.B16, V%d.B16", 8+r, 8+r)
			a.ins("VADD V%d.S4, V%d.S4, V%d.S4", r, 8+r, 8+r)
			a.ins("VADD V30.S4, V%d.S4, V%d.S4", 8+r, 8+r)
			a.ins("VORR V29.B16, V%d.B16, V%d.B16", r, 12+r)
			a.ins("VBIF V%d.B16, V%d.B16, V%d.B16", 4+r, 12+r, 8+r) // NaN: b | 0x400000
		}
		a.comment("the high halves of the lanes")
		a.ins("VUZP2 V9.H8, V8.H8, V16.H8")
		a.ins("VUZP2 V11.H8, V10.H8, V17.H8")
		a.ins("VST1.P [V16.H8, V17.H8], 32(R0)")
	})
	a.ins("RET")
}

func widenF16(g *gen) {
	f := convText(g, "WidenF16", []param{{"dst", "[]float32"}, {"src", "[]uint16"}}, nil,
		"sets dst[i] = FromF16(src[i]) as widenF16Ref in package kernels:",
		"FCVTL, then, where the result is a NaN, its bit 22 (the quiet bit, which",
		"FCVTL sets) replaced by the input's bit 9.")
	a := &g.a
	a.ins("MOVD %s, R0", f.base("dst"))
	a.ins("MOVD %s, R1", f.base("src"))
	a.ins("MOVD %s, R2", f.len("src"))
	a.dup32(31, 0x400000, "the quiet bit")
	convLoop(a, func() {
		a.ins("VLD1.P 32(R1), [V0.H8, V1.H8]")
		for r := range 2 {
			a.fcvtlh(2+2*r, r, false)
			a.fcvtlh(3+2*r, r, true)
			a.ins("VUSHLL $13, V%d.H4, V%d.S4", r, 6+2*r)
			a.ins("VUSHLL2 $13, V%d.H8, V%d.S4", r, 7+2*r)
		}
		for r := range 4 {
			a.fp3("fcmeq", a4s, 10+r, 2+r, 2+r)                     // not NaN
			a.ins("VBIF V31.B16, V%d.B16, V%d.B16", 2+r, 6+r)       // the result with the input's bit 9 as bit 22
			a.ins("VBIF V%d.B16, V%d.B16, V%d.B16", 10+r, 6+r, 2+r) // where NaN
		}
		a.ins("VST1.P [V2.S4, V3.S4, V4.S4, V5.S4], 64(R0)")
	})
	a.ins("RET")
}

func narrowF16(g *gen) {
	f := convText(g, "NarrowF16", []param{{"dst", "[]uint16"}, {"src", "[]float32"}}, nil,
		"sets dst[i] = ToF16(src[i]) as narrowF16Ref in package kernels: FCVTN",
		"(rounding to nearest even, NaNs quieted with the top of their payload).")
	a := &g.a
	a.ins("MOVD %s, R0", f.base("dst"))
	a.ins("MOVD %s, R1", f.base("src"))
	a.ins("MOVD %s, R2", f.len("src"))
	convLoop(a, func() {
		a.ins("VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]")
		a.fcvtnh(4, 0, false)
		a.fcvtnh(4, 1, true)
		a.fcvtnh(5, 2, false)
		a.fcvtnh(5, 3, true)
		a.ins("VST1.P [V4.H8, V5.H8], 32(R0)")
	})
	a.ins("RET")
}

func absMax(g *gen) {
	f := convText(g, "AbsMaxBits", []param{{"x", "[]float32"}}, []param{{"ret", "uint32"}},
		"returns the largest of the bits of |x[i]| (0 for none): the bits of",
		"absMaxRef(x) in package kernels where no element is NaN, above 0x7f800000",
		"where one is (the caller returns the quiet NaN then).")
	a := &g.a
	a.ins("MOVD %s, R1", f.base("x"))
	a.ins("MOVD %s, R2", f.len("x"))
	a.dup32(31, 0x7fffffff, "0x7fffffff")
	for r := 16; r < 20; r++ {
		a.ins("VEOR V%d.B16, V%d.B16, V%d.B16", r, r, r)
	}
	convLoop(a, func() {
		a.ins("VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]")
		for r := range 4 {
			a.ins("VAND V31.B16, V%d.B16, V%d.B16", r, r)
			a.ins("VUMAX V%d.S4, V%d.S4, V%d.S4", r, 16+r, 16+r)
		}
	})
	a.ins("VUMAX V17.S4, V16.S4, V16.S4")
	a.ins("VUMAX V19.S4, V18.S4, V18.S4")
	a.ins("VUMAX V18.S4, V16.S4, V16.S4")
	a.ins("VEXT $8, V16.B16, V16.B16, V17.B16")
	a.ins("VUMAX V17.S4, V16.S4, V16.S4")
	a.ins("VEXT $4, V16.B16, V16.B16, V17.B16")
	a.ins("VUMAX V17.S4, V16.S4, V16.S4")
	a.ins("VMOV V16.S[0], R3")
	a.ins("MOVW R3, %s", f.at("ret"))
	a.ins("RET")
}

// q8map is one of the maps of kernels.Q8Map.
type q8map struct {
	name   string
	signed bool
	bias   uint32
	max    uint32
}

var q8maps = []q8map{{"Signed", true, 15, 0x7f}, {"Unsigned", false, 31, 0xff}}

func q8Encode(g *gen, m q8map) {
	sgn := ""
	if m.signed {
		sgn = ", | 0x80 where x[i]'s sign bit is set"
	}
	f := convText(g, "Q8Encode"+m.name, []param{{"codes", "[]uint8"}, {"x", "[]float32"}, {"q", "float32"}}, nil,
		fmt.Sprintf("sets codes[i] = Q8%s.Encode(|x[i]|·q)%s, as", m.name, sgn),
		"q8EncodeRef in package kernels: with y = |x[i]·q| (|x[i]|·q but for a NaN's",
		"sign), the float32 y·2^(B+2) rounded to nearest even (FCVTNS) where",
		"y < 2^(1−B), else, with b the bits of y, min((b + 0x7ffff + (b>>20)&1 −",
		"(127−B)<<23) >> 20, max) (equal to the reference's order of operations on",
		"every b ≥ 2^(1−B)'s bits, NaN included).")
	a := &g.a
	a.ins("MOVD %s, R0", f.base("codes"))
	a.ins("MOVD %s, R1", f.base("x"))
	a.ins("MOVD %s, R2", f.len("x"))
	a.dupParam(f, 31, "q")
	a.dup32(30, 0x7fffffff, "0x7fffffff")
	a.dup32(29, (128-m.bias)<<23, "2^(1−B)")
	a.dup32(28, 1, "1")
	a.dup32(27, 0x7ffff-(127-m.bias)<<23, "0x7ffff − (127−B)<<23")
	a.dup32(26, m.max, "max")
	a.dup32(25, (127+m.bias+2)<<23, "2^(B+2)")
	if m.signed {
		a.dup32(24, 0x80, "0x80")
	}
	convLoop(a, func() {
		a.ins("VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]")
		for r := range 4 {
			y, small, c, s := 4+r, 8+r, 12+r, 16+r
			a.fp3("fmul", a4s, y, r, 31)
			a.ins("VAND V30.B16, V%d.B16, V%d.B16", y, y)
			a.fp3("fcmgt", a4s, small, 29, y) // y < 2^(1−B), false for NaN
			a.ins("VUSHR $20, V%d.S4, V%d.S4", y, c)
			a.ins("VAND V28.B16, V%d.B16, V%d.B16", c, c)
			a.ins("VADD V%d.S4, V%d.S4, V%d.S4", y, c, c)
			a.ins("VADD V27.S4, V%d.S4, V%d.S4", c, c)
			a.ins("VUSHR $20, V%d.S4, V%d.S4", c, c)
			a.ins("VUMIN V26.S4, V%d.S4, V%d.S4", c, c)
			a.fp3("fmul", a4s, s, y, 25)
			a.fcvtns(s, s)
			a.ins("VBIT V%d.B16, V%d.B16, V%d.B16", small, s, c) // subnormal codes
			if m.signed {
				a.ins("VUSHR $24, V%d.S4, V%d.S4", r, s)
				a.ins("VBIT V24.B16, V%d.B16, V%d.B16", s, c) // x's sign bit as bit 7
			}
		}
		a.comment("the low bytes of the lanes")
		a.ins("VUZP1 V13.H8, V12.H8, V20.H8")
		a.ins("VUZP1 V15.H8, V14.H8, V21.H8")
		a.ins("VUZP1 V21.B16, V20.B16, V22.B16")
		a.ins("VST1.P [V22.B16], 16(R0)")
	})
	a.ins("RET")
}

func q8Decode(g *gen, m q8map) {
	sgn := ""
	if m.signed {
		sgn = ", negated where codes[i]&0x80"
	}
	doc := []string{fmt.Sprintf("sets x[i] = Q8%s.Value(codes[i])·d%s, as", m.name, sgn),
		"q8DecodeRef in package kernels: with a = codes[i] & max, the value is the",
		"float32 a·2^(−B−2) where a < 8, else the bits (a + (127−B)<<3) << 20.",
		"The value's high 16 bits come from byte tables (TBL by the code's nibbles,",
		"see spec.Q8Tables)."}
	if m.signed {
		doc = append(doc, "With the sign applied before the multiplication, which is exact but",
			"where the product is NaN: where d is NaN or infinite, the arithmetic",
			"decoding runs, with the sign applied after.")
	}
	tbl := "q8lut" + m.name + "NEON<>"
	ha, hb, la, lb := spec.Q8Tables(m.signed, m.bias)
	var bs []byte
	for _, t := range [][16]byte{ha, hb, la, lb} {
		bs = append(bs, t[:]...)
	}
	g.a.b.WriteString("\n// The tables of Q8Decode" + m.name + "NEON: HA, HB, LA, LB (spec.Q8Tables).\n")
	for i := 0; i < len(bs); i += 8 {
		var v uint64
		for j := 7; j >= 0; j-- {
			v = v<<8 | uint64(bs[i+j])
		}
		fmt.Fprintf(&g.a.b, "DATA %s+%d(SB)/8, $0x%016x\n", tbl, i, v)
	}
	fmt.Fprintf(&g.a.b, "GLOBL %s(SB), RODATA|NOPTR, $%d\n", tbl, len(bs))
	f := convText(g, "Q8Decode"+m.name, []param{{"x", "[]float32"}, {"codes", "[]uint8"}, {"d", "float32"}}, nil, doc...)
	a := &g.a
	a.ins("MOVD %s, R0", f.base("x"))
	a.ins("MOVD %s, R1", f.base("codes"))
	a.ins("MOVD %s, R2", f.len("codes"))
	a.dupParam(f, 31, "d")
	if m.signed {
		a.comment("a non-finite d: the arithmetic decoding")
		a.ins("MOVWU %s, R3", f.at("d"))
		a.ins("AND $0x7f800000, R3, R3")
		a.ins("CMPW $0x7f800000, R3")
		a.ins("BEQ arith")
	}
	a.ins("MOVD $%s(SB), R10", tbl)
	a.ins("VLD1 (R10), [V20.B16, V21.B16, V22.B16, V23.B16]")
	a.ins("VEOR V30.B16, V30.B16, V30.B16")
	a.ins("VMOVI $0x0f, V29.B16")
	if m.signed {
		a.ins("VMOVI $0x7f, V28.B16")
	}
	a.ins("LSR $%d, R2, R8", log2(convGroup))
	a.ins("CBZ R8, tdone")
	a.label("tloop")
	a.ins("VLD1.P 16(R1), [V0.B16]")
	idx := 0
	if m.signed {
		idx = 1
		a.ins("VAND V28.B16, V0.B16, V1.B16") // a = code & 0x7f
	}
	a.ins("VUSHR $4, V0.B16, V2.B16")     // h
	a.ins("VAND V29.B16, V0.B16, V3.B16") // l
	a.ins("VTBL V2.B16, [V20.B16], V4.B16")
	a.ins("VTBL V%d.B16, [V21.B16], V6.B16", idx) // 0 for a ≥ 16
	a.ins("VORR V6.B16, V4.B16, V4.B16")          // high bytes
	a.ins("VTBL V3.B16, [V22.B16], V5.B16")
	a.ins("VTBL V%d.B16, [V23.B16], V6.B16", idx)
	a.ins("VEOR V6.B16, V5.B16, V5.B16")  // low bytes
	a.ins("VZIP1 V4.B16, V5.B16, V7.B16") // codes 0-7: lo | hi<<8
	a.ins("VZIP2 V4.B16, V5.B16, V8.B16") // codes 8-15
	a.ins("VZIP1 V7.H8, V30.H8, V9.H8")   // codes 0-3: the 16 bits << 16
	a.ins("VZIP2 V7.H8, V30.H8, V10.H8")  // 4-7
	a.ins("VZIP1 V8.H8, V30.H8, V11.H8")  // 8-11
	a.ins("VZIP2 V8.H8, V30.H8, V12.H8")  // 12-15
	for r := 9; r < 13; r++ {
		a.fp3("fmul", a4s, r, r, 31)
	}
	a.ins("VST1.P [V9.S4, V10.S4, V11.S4, V12.S4], 64(R0)")
	a.ins("SUBS $1, R8, R8")
	a.ins("BNE tloop")
	a.label("tdone")
	a.ins("RET")
	if !m.signed {
		return
	}
	a.label("arith")
	a.dup32(30, (127-m.bias)<<23, "(127−B)<<23")
	a.dup32(29, 0xfffffff8, "^7")
	a.dup32(28, (127-m.bias-2)<<23, "2^(−B−2)")
	if m.signed {
		a.dup32(27, m.max, "max")
	}
	convLoop(a, func() {
		a.ins("VLD1.P 16(R1), [V0.B16]")
		a.ins("VUXTL V0.B8, V1.H8")
		a.ins("VUXTL2 V0.B16, V2.H8")
		a.ins("VUXTL V1.H4, V4.S4")
		a.ins("VUXTL2 V1.H8, V5.S4")
		a.ins("VUXTL V2.H4, V6.S4")
		a.ins("VUXTL2 V2.H8, V7.S4")
		for r := range 4 {
			c, av, nr, fl, ge := 4+r, 4+r, 12+r, 16+r, 20+r
			if m.signed {
				av = 8 + r
				a.ins("VAND V27.B16, V%d.B16, V%d.B16", c, av)
			}
			a.ins("VSHL $20, V%d.S4, V%d.S4", av, nr)
			a.ins("VADD V30.S4, V%d.S4, V%d.S4", nr, nr)
			a.ucvtf(fl, av)
			a.fp3("fmul", a4s, fl, fl, 28)
			a.ins("VCMTST V29.S4, V%d.S4, V%d.S4", av, ge)      // a ≥ 8
			a.ins("VBIF V%d.B16, V%d.B16, V%d.B16", ge, fl, nr) // subnormal
			a.fp3("fmul", a4s, nr, nr, 31)
			if m.signed {
				a.ins("VUSHR $7, V%d.S4, V%d.S4", c, c)
				a.ins("VSHL $31, V%d.S4, V%d.S4", c, c)
				a.ins("VEOR V%d.B16, V%d.B16, V%d.B16", c, nr, nr)
			}
		}
		a.ins("VST1.P [V12.S4, V13.S4, V14.S4, V15.S4], 64(R0)")
	})
	a.ins("RET")
}

// convs emits the conversions.
func convs(g *gen) {
	widenBF16(g)
	widenF16(g)
	narrowBF16(g)
	narrowF16(g)
	absMax(g)
	for _, m := range q8maps {
		q8Encode(g, m)
		q8Decode(g, m)
	}
}

// convFile is the Go side of the NEON conversions.
func convFile() string {
	return spec.ConvFile("!purego", []spec.ConvISA{{Name: "NEON", Group: convGroup}}, nil, "")
}
