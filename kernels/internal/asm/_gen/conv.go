package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/descent-go/descent/kernels/internal/asm/_gen/spec"
)

// The storage conversions (asm.Conv), lowered by hand to AVX2 and AVX-512F.
// Each is integer arithmetic on the encodings, plus float operations that
// are exact or rounded once as in the reference, so every result matches
// the reference in package kernels (format.go) bit for bit. The binary16
// conversions are VCVTPS2PH and VCVTPH2PS (AVX-512F; on AVX2 with F16C,
// chosen at start-up, the integer lowering otherwise); AVX512-BF16 is not
// used: VCVTNEPS2BF16 flushes subnormal inputs.
//
// Each assembly function converts whole groups of 4 vector registers of
// elements (32 on AVX2, 64 on AVX-512) and ignores the rest; the Go wrappers
// (spec.ConvFile) run the last, partial group through a buffer on the stack.

// convGroup is the number of elements an assembly conversion handles per
// iteration: four registers of float32.
func convGroup(x isaT) int { return 4 * x.lanes(f32) }

// bcast returns a vector register holding v in every 32-bit lane.
func bcast(x isaT, v uint32) VecVirtual {
	t, xr, r := GP32(), XMM(), x.vecReg()
	MOVL(U32(uint64(v)), t)
	VMOVD(t, xr)
	VPBROADCASTD(xr, r)
	return r
}

// bcastParam returns a vector register holding the float32 parameter name in
// every lane.
func bcastParam(x isaT, name string) VecVirtual {
	p, err := Param(name).Resolve()
	must(err)
	r := x.vecReg()
	VBROADCASTSS(p.Addr, r)
	return r
}

// groupLoop emits a loop over i = 0, G, 2G, … while i+G ≤ n, body emitting
// one group.
func groupLoop(n Register, G int, body func(i Register)) { groupLoopP("", n, G, body) }

// groupLoopP is groupLoop with labels that start with prefix.
func groupLoopP(prefix string, n Register, G int, body func(i Register)) {
	i, t := GP64(), GP64()
	XORQ(i, i)
	Label(prefix + "loop")
	LEAQ(Mem{Base: i, Disp: G}, t)
	CMPQ(t, n)
	JA(LabelRef(prefix + "done"))
	body(i)
	MOVQ(t, i)
	JMP(LabelRef(prefix + "loop"))
	Label(prefix + "done")
}

func is512(x isaT) bool { return x.width == 64 }

// Predicates of VPCMPUD.
const (
	pLT = 1
	pGT = 6
)

// convText starts conversion fn of ISA x; the first line of the doc names
// the function.
func convText(x isaT, fn, sig string, doc ...string) {
	doc[0] = fn + x.name + " " + doc[0]
	doc = append(doc, fmt.Sprintf("It converts the first len/%d·%d elements only (whole groups of %d).", convGroup(x), convGroup(x), convGroup(x)))
	text(fn+x.name, sig, doc...)
}

func widenBF16(x isaT) {
	convText(x, "WidenBF16", "(dst []float32, src []uint16)",
		"sets dst[i] = FromBF16(src[i]) as widenBF16Ref in package kernels:",
		"the bits h<<16.")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	W := x.lanes(f32)
	groupLoop(n, 4*W, func(i Register) {
		for u := range 4 {
			r := x.vecReg()
			VPMOVZXWD(Mem{Base: src, Index: i, Scale: 2, Disp: 2 * u * W}, r)
			VPSLLD(U8(16), r, r)
			VMOVUPS(r, Mem{Base: dst, Index: i, Scale: 4, Disp: 4 * u * W})
		}
	})
	VZEROUPPER()
	RET()
}

func narrowBF16(x isaT) {
	doc := []string{"sets dst[i] = ToBF16(src[i]) as narrowBF16Ref in package kernels:",
		"(b + 0x7fff + (b>>16)&1) >> 16 of the bits b, or (b>>16) | 0x40 for a NaN."}
	if !is512(x) {
		doc = append(doc, "A group without NaNs skips the NaN lanes' blend.")
	}
	convText(x, "NarrowBF16", "(dst []uint16, src []float32)", doc...)
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	W := x.lanes(f32)
	one, round, quiet := bcast(x, 1), bcast(x, 0x7fff), bcast(x, 0x400000)
	// narrow returns register u of the group: the results in the low 16
	// bits of each 32-bit lane.
	narrow := func(i Register, u int, nanFree bool) VecVirtual {
		b, t := x.vecReg(), x.vecReg()
		VMOVUPS(Mem{Base: src, Index: i, Scale: 4, Disp: 4 * u * W}, b)
		VPSRLD(U8(16), b, t)
		if nanFree {
			VPAND(one, t, t)
			VPADDD(b, t, t)
			VPADDD(round, t, t)
			VPSRLD(U8(16), t, t)
			return t
		}
		if is512(x) {
			VPANDD(one, t, t)
			VPADDD(b, t, t)
			VPADDD(round, t, t)
			nan := K()
			VCMPPS(U8(cmpUnord), b, b, nan)
			VPORD(quiet, b, nan, t) // NaN: b | 0x400000
		} else {
			VPAND(one, t, t)
			VPADDD(b, t, t)
			VPADDD(round, t, t)
			nan, q := x.vecReg(), x.vecReg()
			VCMPPS(U8(cmpUnord), b, b, nan)
			VPOR(quiet, b, q)
			VBLENDVPS(nan, q, t, t)
		}
		VPSRLD(U8(16), t, t)
		return t
	}
	groupLoop(n, 4*W, func(i Register) {
		if is512(x) {
			for u := range 4 {
				VPMOVDW(narrow(i, u, false), Mem{Base: dst, Index: i, Scale: 2, Disp: 2 * u * W})
			}
			return
		}
		// A group without NaNs (unordered compares of its registers in
		// pairs) skips the NaN lanes' blend.
		var nan [2]VecVirtual
		for p := range nan {
			a, b := x.vecReg(), x.vecReg()
			nan[p] = x.vecReg()
			VMOVUPS(Mem{Base: src, Index: i, Scale: 4, Disp: 4 * 2 * p * W}, a)
			VMOVUPS(Mem{Base: src, Index: i, Scale: 4, Disp: 4 * (2*p + 1) * W}, b)
			VCMPPS(U8(cmpUnord), b, a, nan[p])
		}
		VPOR(nan[1], nan[0], nan[0])
		VPTEST(nan[0], nan[0])
		JNZ(LabelRef("nan"))
		pairs := func(nanFree bool) {
			for p := range 2 {
				lo := narrow(i, 2*p, nanFree)
				hi := narrow(i, 2*p+1, nanFree)
				VPACKUSDW(hi, lo, lo) // lanes hold lo0-3 hi0-3 | lo4-7 hi4-7
				VPERMQ(U8(0xd8), lo, lo)
				VMOVDQU(lo, Mem{Base: dst, Index: i, Scale: 2, Disp: 2 * 2 * p * W})
			}
		}
		pairs(true)
		JMP(LabelRef("next"))
		Label("nan")
		pairs(false)
		Label("next")
	})
	VZEROUPPER()
	RET()
}

// widenF16 is WidenF16 in integer arithmetic, for AVX2 CPUs without F16C.
func widenF16(x isaT) {
	convText(x, "WidenF16", "(dst []float32, src []uint16)",
		"sets dst[i] = FromF16(src[i]) as widenF16Ref in package kernels:",
		"with a = h & 0x7fff, the bits a<<13 + 112<<23 (normal), a<<13 + 224<<23",
		"(Inf, NaN) or the float32 a·2^-24 (subnormal), and the sign. Integer",
		"arithmetic, for CPUs without F16C.")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	W := x.lanes(f32)
	mag, bias, infB, subB, scale := bcast(x, 0x7fff), bcast(x, 112<<23), bcast(x, 0x7bff), bcast(x, 0x400), bcast(x, 0x33800000) // 2^-24
	groupLoop(n, 4*W, func(i Register) {
		for u := range 4 {
			h, a, nr, f, s := x.vecReg(), x.vecReg(), x.vecReg(), x.vecReg(), x.vecReg()
			VPMOVZXWD(Mem{Base: src, Index: i, Scale: 2, Disp: 2 * u * W}, h)
			VPAND(mag, h, a)
			VPXOR(a, h, s)
			VPSLLD(U8(16), s, s)
			VPSLLD(U8(13), a, nr)
			VPADDD(bias, nr, nr)
			inf, sub := x.vecReg(), x.vecReg()
			VPCMPGTD(infB, a, inf)
			VPAND(bias, inf, inf)
			VPADDD(inf, nr, nr) // Inf, NaN: exponent 255
			VPCMPGTD(a, subB, sub)
			VCVTDQ2PS(a, f)
			VMULPS(scale, f, f)
			VBLENDVPS(sub, f, nr, nr) // subnormal: a·2^-24
			VPOR(s, nr, nr)
			VMOVUPS(nr, Mem{Base: dst, Index: i, Scale: 4, Disp: 4 * u * W})
		}
	})
	VZEROUPPER()
	RET()
}

// widenF16HW is WidenF16 with VCVTPH2PS (F16C on AVX2, AVX-512F), which
// converts exactly but quiets a signaling NaN: the NaN lanes get the
// payload's top bit back from the input.
func widenF16HW(x isaT, name string) {
	convText(x, name, "(dst []float32, src []uint16)",
		"sets dst[i] = FromF16(src[i]) as widenF16Ref in package kernels:",
		"VCVTPH2PS, then, where the result is a NaN, its bit 22 (the quiet bit, which",
		"VCVTPH2PS sets) replaced by the input's bit 9.")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	W := x.lanes(f32)
	quiet := bcast(x, 0x400000)
	groupLoop(n, 4*W, func(i Register) {
		for u := range 4 {
			r, h := x.vecReg(), x.vecReg()
			in := Mem{Base: src, Index: i, Scale: 2, Disp: 2 * u * W}
			VCVTPH2PS(in, r)
			VPMOVZXWD(in, h)
			VPSLLD(U8(13), h, h) // bit 9 to bit 22
			if is512(x) {
				nan := K()
				VCMPPS(U8(cmpUnord), r, r, nan)
				VPTERNLOGD(U8(0xd0), quiet, h, nan, r) // r &^ (quiet &^ h)
			} else {
				nan := x.vecReg()
				VCMPPS(U8(cmpUnord), r, r, nan)
				VPANDN(quiet, h, h) // quiet &^ h
				VPAND(nan, h, h)
				VPANDN(r, h, r)
			}
			VMOVUPS(r, Mem{Base: dst, Index: i, Scale: 4, Disp: 4 * u * W})
		}
	})
	VZEROUPPER()
	RET()
}

// narrowF16HW is NarrowF16 with VCVTPS2PH (F16C on AVX2, AVX-512F).
func narrowF16HW(x isaT, name string) {
	convText(x, name, "(dst []uint16, src []float32)",
		"sets dst[i] = ToF16(src[i]) as narrowF16Ref in package kernels:",
		"VCVTPS2PH with rounding to nearest even (imm8 0), which ToF16 specifies",
		"(checked on all 2^32 inputs).")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	W := x.lanes(f32)
	groupLoop(n, 4*W, func(i Register) {
		for u := range 4 {
			r := x.vecReg()
			VMOVUPS(Mem{Base: src, Index: i, Scale: 4, Disp: 4 * u * W}, r)
			VCVTPS2PH(U8(0), r, Mem{Base: dst, Index: i, Scale: 2, Disp: 2 * u * W})
		}
	})
	VZEROUPPER()
	RET()
}

// narrowF16 is NarrowF16 in integer arithmetic, for AVX2 CPUs without F16C.
func narrowF16(x isaT) {
	convText(x, "NarrowF16", "(dst []uint16, src []float32)",
		"sets dst[i] = ToF16(src[i]) as narrowF16Ref in package kernels:",
		"with a = |b| of the bits b, min((a + 0xfff + (a>>13)&1 − 112<<23) >> 13,",
		"0x7c00) (normal, overflow), the bits of the float32 a + 0.5 less those of",
		"0.5 (subnormal: a rounded to a multiple of 2^-24, to nearest even), or",
		"0x7e00 | (a>>13)&0x3ff (NaN), and the sign. Integer arithmetic, for CPUs",
		"without F16C.")
	dst := Load(Param("dst").Base(), GP64())
	src := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	W := x.lanes(f32)
	// round is 0xfff − 112<<23 mod 2^32.
	abs, one, round, top := bcast(x, 0x7fffffff), bcast(x, 1), bcast(x, 0xc8000fff), bcast(x, 0x7c00)
	half, normal, pay, quiet := bcast(x, 0x3f000000), bcast(x, 0x38800000), bcast(x, 0x3ff), bcast(x, 0x200)
	narrow := func(i Register, u int) VecVirtual {
		b, a, uu, nr, f := x.vecReg(), x.vecReg(), x.vecReg(), x.vecReg(), x.vecReg()
		VMOVUPS(Mem{Base: src, Index: i, Scale: 4, Disp: 4 * u * W}, b)
		VPAND(abs, b, a)
		VPSRLD(U8(13), a, uu)
		VPAND(one, uu, nr)
		VPADDD(a, nr, nr)
		VPADDD(round, nr, nr)
		VPSRLD(U8(13), nr, nr)
		VPMINUD(top, nr, nr)
		sub := x.vecReg()
		VPCMPGTD(a, normal, sub)
		VADDPS(half, a, f)
		VPSUBD(half, f, f)
		VBLENDVPS(sub, f, nr, nr) // subnormal
		nan := x.vecReg()
		VCMPPS(U8(cmpUnord), b, b, nan)
		VPOR(quiet, uu, uu)
		VPAND(pay, uu, uu)
		VPAND(nan, uu, uu)
		VPOR(uu, nr, nr) // NaN: 0x7c00 | 0x200 | payload
		VPXOR(a, b, b)
		VPSRLD(U8(16), b, b)
		VPOR(b, nr, nr) // the sign
		return nr
	}
	groupLoop(n, 4*W, func(i Register) {
		for p := range 2 {
			lo := narrow(i, 2*p)
			hi := narrow(i, 2*p+1)
			VPACKUSDW(hi, lo, lo)
			VPERMQ(U8(0xd8), lo, lo)
			VMOVDQU(lo, Mem{Base: dst, Index: i, Scale: 2, Disp: 2 * 2 * p * W})
		}
	})
	VZEROUPPER()
	RET()
}

func absMax(x isaT) {
	convText(x, "AbsMaxBits", "(x []float32) uint32",
		"returns the largest of the bits of |x[i]| (0 for none): the bits of",
		"absMaxRef(x) in package kernels where no element is NaN, above 0x7f800000",
		"where one is (the caller returns the quiet NaN then).")
	xp := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	W := x.lanes(f32)
	abs := bcast(x, 0x7fffffff)
	var acc [4]VecVirtual
	for u := range acc {
		acc[u] = x.vecReg()
		if is512(x) {
			VPXORD(acc[u], acc[u], acc[u])
		} else {
			VPXOR(acc[u], acc[u], acc[u])
		}
	}
	groupLoop(n, 4*W, func(i Register) {
		for u := range acc {
			t := x.vecReg()
			m := Mem{Base: xp, Index: i, Scale: 4, Disp: 4 * u * W}
			if is512(x) {
				VPANDD(m, abs, t)
			} else {
				VPAND(m, abs, t)
			}
			VPMAXUD(t, acc[u], acc[u])
		}
	})
	VPMAXUD(acc[1], acc[0], acc[0])
	VPMAXUD(acc[3], acc[2], acc[2])
	VPMAXUD(acc[2], acc[0], acc[0])
	a := acc[0]
	t := x.vecReg()
	if is512(x) {
		VSHUFI64X2(U8(0x4e), a, a, t) // 256-bit halves swapped
		VPMAXUD(t, a, a)
		VSHUFI64X2(U8(0xb1), a, a, t) // 128-bit lanes swapped in pairs
		VPMAXUD(t, a, a)
	} else {
		VPERM2I128(U8(0x01), a, a, t)
		VPMAXUD(t, a, a)
	}
	VPSHUFD(U8(0x4e), a, t)
	VPMAXUD(t, a, a)
	VPSHUFD(U8(0xb1), a, t)
	VPMAXUD(t, a, a)
	r := GP32()
	VMOVD(a.AsX(), r)
	Store(r, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// q8map is one of the maps of kernels.Q8Map.
type q8map struct {
	name   string
	signed bool
	bias   uint32
	max    uint32
}

var q8maps = []q8map{{"Signed", true, 15, 0x7f}, {"Unsigned", false, 31, 0xff}}

func q8Encode(x isaT, m q8map) {
	sgn := ""
	if m.signed {
		sgn = ", | 0x80 where x[i]'s sign bit is set"
	}
	y := "y = |x[i]·q| (|x[i]|·q but for a NaN's sign)"
	if is512(x) {
		y = "y = |x[i]|·q"
	}
	doc := []string{fmt.Sprintf("sets codes[i] = Q8%s.Encode(|x[i]|·q)%s, as", m.name, sgn),
		"q8EncodeRef in package kernels. With " + y + ", the subnormal code s is",
		"the float32 y·2^(B+2) rounded to nearest even (VCVTPS2DQ) and, with b the",
		"bits of y, the normal code n is"}
	if is512(x) {
		doc = append(doc,
			"(b + 0x7ffff + (b>>20)&1 − (127−B)<<23) >> 20 (equal to the reference's order",
			"of operations for every b ≥ 2^(1−B)'s bits, NaN included); the code is s where",
			"y < 2^(1−B), else n, clamped to max (VPMOVUSDB for the unsigned map).")
	} else {
		doc = append(doc,
			"(b + 0x7ffff + (b>>20)&1 − (127−B)<<23) >> 20, shifted arithmetically: n ≤ s",
			"where y < 2^(1−B) (n ≤ 0 below 2^−B, n = RNE(8μ) ≤ RNE(4+4μ) = s for",
			"y = (1+μ)·2^−B) and n ≥ 8 above, so the code is max(min(s, 8), n), clamped to",
			"max by the saturating packs (s is 0x80000000 where y·2^(B+2) overflows).")
	}
	convText(x, "Q8Encode"+m.name, "(codes []uint8, x []float32, q float32)", doc...)
	codes := Load(Param("codes").Base(), GP64())
	xp := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	W := x.lanes(f32)
	q := bcastParam(x, "q")
	abs := bcast(x, 0x7fffffff)
	scale := bcast(x, (127+m.bias+2)<<23)       // 2^(B+2)
	round := bcast(x, 0x7ffff-(127-m.bias)<<23) // mod 2^32
	if is512(x) {
		thr := bcast(x, (128-m.bias)<<23) // 2^(1−B)
		one := bcast(x, 1)
		var mx, sbit VecVirtual
		if m.signed {
			mx, sbit = bcast(x, m.max), bcast(x, 0x80)
		}
		groupLoop(n, 4*W, func(i Register) {
			for u := range 4 {
				v, y, c, s := x.vecReg(), x.vecReg(), x.vecReg(), x.vecReg()
				VMOVUPS(Mem{Base: xp, Index: i, Scale: 4, Disp: 4 * u * W}, v)
				VPANDD(abs, v, y)
				VMULPS(q, y, y)
				small := K()
				VCMPPS(U8(cmpLT), thr, y, small)
				VPSRLD(U8(20), y, c)
				VPANDD(one, c, c)
				VPADDD(y, c, c)
				VPADDD(round, c, c)
				VPSRLD(U8(20), c, c)
				VMULPS(scale, y, s)
				VCVTPS2DQ(s, small, c) // subnormal codes
				out := Mem{Base: codes, Index: i, Scale: 1, Disp: u * W}
				if !m.signed {
					VPMOVUSDB(c, out)
					continue
				}
				VPMINUD(mx, c, c)
				VPSRLD(U8(24), v, s)
				VPTERNLOGD(U8(0xf8), sbit, s, c) // c | s&0x80
				VPMOVDB(c, out)
			}
		})
		VZEROUPPER()
		RET()
		return
	}
	eight := bcast(x, 8)
	// encode returns the codes (in 32-bit lanes, before the clamp) of
	// register u of the group, and the register of x.
	encode := func(i Register, u int) (c, v VecVirtual) {
		v, y, s := x.vecReg(), x.vecReg(), x.vecReg()
		c = x.vecReg()
		VMOVUPS(Mem{Base: xp, Index: i, Scale: 4, Disp: 4 * u * W}, v)
		VMULPS(q, v, y)
		VANDPS(abs, y, y)
		VPSLLD(U8(11), y, c)
		VPSRLD(U8(31), c, c) // (b>>20)&1
		VPADDD(y, c, c)
		VPADDD(round, c, c)
		VPSRAD(U8(20), c, c)
		VMULPS(scale, y, s)
		VCVTPS2DQ(s, s)
		VPMINSD(eight, s, s)
		VPMAXSD(s, c, c)
		return c, v
	}
	// VPACK… interleave the four registers' dwords of four codes as
	// 0 4 1 5 2 6 3 7 (in units of four codes).
	t, xr := GP64(), XMM()
	perm := x.vecReg()
	MOVQ(U64(0x0703060205010400), t)
	VMOVQ(t, xr)
	VPMOVZXBD(xr, perm)
	var sbits VecVirtual
	if m.signed {
		sbits = bcast(x, 0x80808080)
	}
	groupLoop(n, 4*W, func(i Register) {
		a, va := encode(i, 0)
		b, vb := encode(i, 1)
		if !m.signed {
			VPACKUSDW(b, a, a)
			c, _ := encode(i, 2)
			d, _ := encode(i, 3)
			VPACKUSDW(d, c, c)
			VPACKUSWB(c, a, a) // clamped to 0xff
		} else {
			// Signed saturation clamps the codes to 0x7f, and keeps
			// x's sign in the sign bit of each byte.
			VPACKSSDW(b, a, a)
			VPACKSSDW(vb, va, va)
			c, vc := encode(i, 2)
			d, vd := encode(i, 3)
			VPACKSSDW(d, c, c)
			VPACKSSDW(vd, vc, vc)
			VPACKSSWB(c, a, a)
			VPACKSSWB(vc, va, va)
			VPAND(sbits, va, va)
			VPOR(va, a, a)
		}
		VPERMD(a, perm, a)
		VMOVDQU(a, Mem{Base: codes, Index: i, Scale: 1})
	})
	VZEROUPPER()
	RET()
}

func q8Decode(x isaT, m q8map) {
	sgn := ""
	if m.signed {
		sgn = ", negated where codes[i]&0x80"
	}
	doc := []string{fmt.Sprintf("sets x[i] = Q8%s.Value(codes[i])·d%s, as", m.name, sgn),
		"q8DecodeRef in package kernels: with a = codes[i] & max, the value is the",
		"float32 a·2^(−B−2) where a < 8, else the bits (a + (127−B)<<3) << 20."}
	if !is512(x) {
		doc = append(doc, "The value's high 16 bits come from byte tables (VPSHUFB by the code's",
			"nibbles; see q8DecodeTables in _gen/conv.go).")
		if m.signed {
			doc = append(doc, "With the sign applied before the multiplication, which is exact but",
				"where the product is NaN: where d is NaN or infinite, the arithmetic",
				"decoding runs, with the sign applied after.")
		}
	}
	convText(x, "Q8Decode"+m.name, "(x []float32, codes []uint8, d float32)", doc...)
	xp := Load(Param("x").Base(), GP64())
	codes := Load(Param("codes").Base(), GP64())
	n := Load(Param("codes").Len(), GP64())
	W := x.lanes(f32)
	if !is512(x) {
		q8DecodeTables(x, m, xp, codes, n)
		if !m.signed {
			return
		}
	}
	dv := bcastParam(x, "d")
	bias := bcast(x, (127-m.bias)<<23)
	eight := bcast(x, 8)
	scale := bcast(x, (127-m.bias-2)<<23) // 2^(−B−2)
	var mask, sign VecVirtual
	if m.signed {
		mask, sign = bcast(x, m.max), bcast(x, 0x80000000)
	}
	groupLoop(n, 4*W, func(i Register) {
		for u := range 4 {
			c, nr, f := x.vecReg(), x.vecReg(), x.vecReg()
			in := Mem{Base: codes, Index: i, Scale: 1, Disp: u * W}
			a := c
			if m.signed {
				// Sign-extended: bit 31 is the code's sign bit.
				VPMOVSXBD(in, c)
				a = x.vecReg()
				if is512(x) {
					VPANDD(mask, c, a)
				} else {
					VPAND(mask, c, a)
				}
			} else {
				VPMOVZXBD(in, c)
			}
			VPSLLD(U8(20), a, nr)
			VPADDD(bias, nr, nr)
			VCVTDQ2PS(a, f)
			if is512(x) {
				sub := K()
				VPCMPUD(U8(pLT), eight, a, sub)
				VMULPS(scale, f, sub, nr) // subnormal
			} else {
				sub := x.vecReg()
				VPCMPGTD(a, eight, sub)
				VMULPS(scale, f, f)
				VBLENDVPS(sub, f, nr, nr) // subnormal
			}
			VMULPS(dv, nr, nr)
			if m.signed {
				if is512(x) {
					VPTERNLOGD(U8(0x78), sign, c, nr) // nr ^ c&sign
				} else {
					VPAND(sign, c, c)
					VPXOR(c, nr, nr)
				}
			}
			VMOVUPS(nr, Mem{Base: xp, Index: i, Scale: 4, Disp: 4 * u * W})
		}
	})
	VZEROUPPER()
	RET()
}

// q8DecodeTables emits AVX2 decoding by table lookups, where d is finite
// (else it jumps to the label "arith", the arithmetic decoding, for the
// signed map: see below). Every value has zero low 16 bits, and its high 16
// bits are (h + K)<<8 | l<<4 for a = 16h + l ≥ 8 (K the high byte of
// (127−B)<<23): VPSHUFB looks the two bytes up from the nibbles of the code,
// with a correction for a < 16 (index a + 0x70, saturated: VPSHUFB gives 0
// where the index's bit 7 is set) that makes the subnormal values. The
// codes are permuted by dwords so that the byte, then word, unpacks give
// the values in order. The signed map's sign is the top bit of the high
// byte (in HA), so it is applied before the multiplication by d — which
// gives −(v·d) exactly unless the product is NaN, which takes a
// non-finite d.
func q8DecodeTables(x isaT, m q8map, xp, codes, n Register) {
	ha, hb, la, lb := spec.Q8Tables(m.signed, m.bias)
	tbl := GLOBL("q8lut"+m.name+x.name, RODATA|NOPTR)
	for t, b := range [][16]byte{ha, hb, la, lb} {
		for i, v := range b {
			DATA(16*t+i, U8(v))
		}
	}
	if m.signed {
		db := GP32()
		d, err := Param("d").Resolve()
		must(err)
		MOVL(d.Addr, db)
		ANDL(U32(0x7f800000), db)
		CMPL(db, U32(0x7f800000))
		JEQ(LabelRef("arith"))
	}
	dv := bcastParam(x, "d")
	var t [4]VecVirtual
	for i := range t {
		t[i] = x.vecReg()
		VBROADCASTI128(tbl.Offset(16*i), t[i])
	}
	nib, sat, zero := bcast(x, 0x0f0f0f0f), bcast(x, 0x70707070), x.vecReg()
	VPXOR(zero, zero, zero)
	var mask VecVirtual
	if m.signed {
		mask = bcast(x, 0x7f7f7f7f)
	}
	pt, xr, perm := GP64(), XMM(), x.vecReg()
	MOVQ(U64(0x0705030106040200), pt) // dwords 0 2 4 6 1 3 5 7
	VMOVQ(pt, xr)
	VPMOVZXBD(xr, perm)
	groupLoopP("t", n, 32, func(i Register) {
		c, h, l, idx, hi, lo, u := x.vecReg(), x.vecReg(), x.vecReg(), x.vecReg(), x.vecReg(), x.vecReg(), x.vecReg()
		VPERMD(Mem{Base: codes, Index: i, Scale: 1}, perm, c)
		VPSRLW(U8(4), c, h)
		VPAND(nib, h, h)
		VPAND(nib, c, l)
		if m.signed {
			a := x.vecReg()
			VPAND(mask, c, a)
			VPADDUSB(sat, a, idx)
		} else {
			VPADDUSB(sat, c, idx)
		}
		VPSHUFB(h, t[0], hi)
		VPSHUFB(idx, t[1], u)
		VPOR(u, hi, hi)
		VPSHUFB(l, t[2], lo)
		VPSHUFB(idx, t[3], u)
		VPXOR(u, lo, lo)
		w0, w1 := x.vecReg(), x.vecReg()
		VPUNPCKLBW(hi, lo, w0) // codes 0-3, 8-11 | 4-7, 12-15
		VPUNPCKHBW(hi, lo, w1) // codes 16-19, 24-27 | 20-23, 28-31
		for k, w := range []VecVirtual{w0, w0, w1, w1} {
			v := x.vecReg()
			if k%2 == 0 {
				VPUNPCKLWD(w, zero, v)
			} else {
				VPUNPCKHWD(w, zero, v)
			}
			VMULPS(dv, v, v)
			VMOVUPS(v, Mem{Base: xp, Index: i, Scale: 4, Disp: 32 * k})
		}
	})
	VZEROUPPER()
	RET()
	if m.signed {
		Label("arith")
	}
}

// convs emits the conversions of ISA x.
func convs(x isaT) {
	widenBF16(x)
	narrowBF16(x)
	if is512(x) {
		widenF16HW(x, "WidenF16")
		narrowF16HW(x, "NarrowF16")
	} else {
		widenF16(x)
		narrowF16(x)
		widenF16HW(x, "WidenF16F16C")
		narrowF16HW(x, "NarrowF16F16C")
	}
	absMax(x)
	for _, m := range q8maps {
		q8Encode(x, m)
		q8Decode(x, m)
	}
}

// convFile is the Go side of the amd64 conversions (see spec.ConvFile),
// with the F16C variants of AVX2 chosen at start-up.
func convFile(cons string, isas []isaT) string {
	var cs []spec.ConvISA
	for _, x := range isas {
		c := spec.ConvISA{Name: x.name, Group: convGroup(x)}
		if !is512(x) {
			c.Extra = []spec.ConvFunc{{Name: "WidenF16F16C", Dst: "float32", Src: "uint16"}, {Name: "NarrowF16F16C", Dst: "uint16", Src: "float32"}}
		}
		cs = append(cs, c)
	}
	return spec.ConvFile(cons, cs, []string{"golang.org/x/sys/cpu"}, `	// With F16C (every AVX2 CPU but a few), the binary16 conversions are
	// VCVTPH2PS and VCVTPS2PH; the integer ones stay a variant, for the tests.
	if cpu.X86.HasAVX2 && cpu.X86.HasF16C {
		v := *ConvAVX2
		ConvVariants["avx2-nof16c"] = &v
		ConvAVX2.WidenF16, ConvAVX2.NarrowF16 = widenF16F16CAVX2, narrowF16F16CAVX2
	}
`)
}
