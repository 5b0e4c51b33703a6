package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The reductions are lowered by hand: their canonical order (16 or 32
// partial sums in four YMM accumulators, combined by halving) is a layout
// of registers, not an elementwise body.

// reduce4 folds four YMM accumulators holding the partial sums s[0..P) in
// order (lane j of acc[r] is s[r·lanes+j]) by halving, and returns an XMM
// register whose low lane is s[0].
func reduce4(f64 bool, acc [4]VecVirtual) VecVirtual {
	add := VADDPS
	if f64 {
		add = VADDPD
	}
	add(acc[2], acc[0], acc[0]) // s[k] += s[k+P/2]
	add(acc[3], acc[1], acc[1])
	add(acc[1], acc[0], acc[0]) // s[k] += s[k+P/4]
	x, t := acc[0].AsX(), XMM()
	VEXTRACTF128(U8(1), acc[0], t) // high half
	add(t, x, x)                   // s[k] += s[k+P/8]
	if f64 {
		VPERMILPD(U8(1), x, t)
		VADDSD(t, x, x) // s[0] += s[1]
		return acc[0]
	}
	VPERMILPS(U8(0x0e), x, t)
	VADDPS(t, x, x) // s[k] += s[k+2]
	VPERMILPS(U8(0x01), x, t)
	VADDSS(t, x, x) // s[0] += s[1]
	return acc[0]
}

func sumSquares(e elem) {
	res := "sum float64"
	if e.size == 8 {
		res = "sum float64, finite bool"
	}
	doc := []string{fmt.Sprintf("SumSquaresAVX2%s returns sumSquaresRef%d(x) in package kernels: the sum", e.name, 8*e.size),
		"of float64(x[i])² in the canonical order with 16 partial sums (four YMM",
		"accumulators; the tail is added to s[0] one element at a time)."}
	if e.size == 8 {
		doc = append(doc, "finite reports whether every x[i] is finite: x − x is +0 for finite x and",
			"NaN otherwise, and the OR of those bits is zero exactly when all are finite.")
	}
	text("SumSquaresAVX2"+e.name, fmt.Sprintf("(x []%s) (%s)", e.gotype, res), doc...)
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	var acc [4]VecVirtual
	for r := range acc {
		acc[r] = YMM()
		VXORPD(acc[r], acc[r], acc[r])
	}
	fin := YMM()
	VXORPD(fin, fin, fin)
	i, t := GP64(), GP64()
	XORQ(i, i)
	Label("block")
	LEAQ(Mem{Base: i, Disp: 16}, t)
	CMPQ(t, n)
	JA(LabelRef("reduce"))
	prefetch(16*e.size, func(b Register) Mem { return Mem{Base: b, Index: i, Scale: uint8(e.size)} }, []Register{x})
	for r := range acc {
		v := YMM()
		if e.size == 4 {
			VCVTPS2PD(Mem{Base: x, Index: i, Scale: 4, Disp: 16 * r}, v)
		} else {
			VMOVUPD(Mem{Base: x, Index: i, Scale: 8, Disp: 32 * r}, v)
			z := YMM()
			VSUBPD(v, v, z)
			VORPD(z, fin, fin)
		}
		VMULPD(v, v, v)
		VADDPD(v, acc[r], acc[r])
	}
	MOVQ(t, i)
	JMP(LabelRef("block"))
	Label("reduce")
	sum := reduce4(true, acc).AsX()
	Label("tail")
	CMPQ(i, n)
	JAE(LabelRef("done"))
	v := XMM()
	if e.size == 4 {
		VCVTSS2SD(Mem{Base: x, Index: i, Scale: 4}, v, v)
	} else {
		VMOVSD(Mem{Base: x, Index: i, Scale: 8}, v)
		z := XMM()
		VSUBSD(v, v, z)
		VORPD(z.AsY(), fin, fin) // z's upper lanes are zero (VEX)
	}
	VMULSD(v, v, v)
	VADDSD(v, sum, sum)
	INCQ(i)
	JMP(LabelRef("tail"))
	Label("done")
	Store(sum, ReturnIndex(0))
	if e.size == 8 {
		ok := GP8()
		VPTEST(fin, fin)
		SETEQ(ok)
		Store(ok, ReturnIndex(1))
	}
	VZEROUPPER()
	RET()
}

func dot(e elem) {
	P := 128 / e.size
	text("DotAVX2"+e.name, fmt.Sprintf("(x, y []%s) %s", e.gotype, e.gotype),
		fmt.Sprintf("DotAVX2%s returns dotRef(x, y) in package kernels: the sum of", e.name),
		fmt.Sprintf("x[i]·y[i] in %s in the canonical order with %d partial sums (four YMM", e.gotype, P),
		"accumulators; the tail is added to s[0] one element at a time).")
	x := Load(Param("x").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	k := vk{isa: avx2, e: e}
	var acc [4]VecVirtual
	for r := range acc {
		acc[r] = YMM()
		VXORPS(acc[r], acc[r], acc[r])
	}
	i, t := GP64(), GP64()
	XORQ(i, i)
	Label("block")
	LEAQ(Mem{Base: i, Disp: P}, t)
	CMPQ(t, n)
	JA(LabelRef("reduce"))
	prefetch(128, func(b Register) Mem { return Mem{Base: b, Index: i, Scale: uint8(e.size)} }, []Register{x, y})
	for r := range acc {
		at := func(b Register) Mem { return Mem{Base: b, Index: i, Scale: uint8(e.size), Disp: 32 * r} }
		pr := k.mul(k.load(at(x)), at(y))
		if e.size == 8 {
			VADDPD(pr, acc[r], acc[r])
		} else {
			VADDPS(pr, acc[r], acc[r])
		}
	}
	MOVQ(t, i)
	JMP(LabelRef("block"))
	Label("reduce")
	sum := reduce4(e.size == 8, acc).AsX()
	Label("tail")
	CMPQ(i, n)
	JAE(LabelRef("done"))
	s := vk{isa: avx2, e: e, scalar: true}
	at := func(b Register) Mem { return Mem{Base: b, Index: i, Scale: uint8(e.size)} }
	pr := s.mul(s.load(at(x)), at(y))
	if e.size == 8 {
		VADDSD(pr, sum, sum)
	} else {
		VADDSS(pr, sum, sum)
	}
	INCQ(i)
	JMP(LabelRef("tail"))
	Label("done")
	Store(sum, ReturnIndex(0))
	VZEROUPPER()
	RET()
}
