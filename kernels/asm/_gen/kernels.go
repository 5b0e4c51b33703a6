package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// variants emits one set of loops per combination of the given flag bits,
// selected at entry by testing flags; emit receives the combination.
func variants(flags Register, bits []int, emit func(prefix string, set int)) {
	n := 1 << len(bits)
	for v := 0; v < n; v++ {
		set := 0
		for j, b := range bits {
			if v&(1<<j) != 0 {
				set |= b
			}
		}
		if v > 0 {
			Label(fmt.Sprintf("v%d", set))
		}
		_ = n
		if v == 0 {
			// Entry: jump to the variant whose flags match; the
			// default (no flags) follows.
			all := 0
			for _, b := range bits {
				all |= b
			}
			t := GP64()
			MOVQ(flags, t)
			ANDQ(U32(all), t)
			for w := 1; w < n; w++ {
				ws := 0
				for j, b := range bits {
					if w&(1<<j) != 0 {
						ws |= b
					}
				}
				CMPQ(t, U32(ws))
				JEQ(LabelRef(fmt.Sprintf("v%d", ws)))
			}
		}
		emit(fmt.Sprintf("v%d_", set), set)
	}
}

func sgd(e elem) {
	text("SGDAVX2"+e.name, fmt.Sprintf("(p, g []%s, c *[%d]%s, flags uint64)", e.gotype, len(sgdSlots), e.gotype),
		fmt.Sprintf("SGDAVX2%s implements sgdRef in package kernels with AVX2:", e.name),
		"",
		"	for i := range p {",
		"		g := g[i]·c[SGDGradScale] (skipped when flags&FlagUnitScale != 0: x·1 = x)",
		"		if flags&FlagL2 != 0 { g = g + c[SGDL2]·p[i] }",
		"		p[i] = p[i] − c[SGDLR]·g",
		"	}")
	p := Load(Param("p").Base(), GP64())
	n := Load(Param("p").Len(), GP64())
	g := Load(Param("g").Base(), GP64())
	c := Load(Param("c"), GP64())
	flags := Load(Param("flags"), GP64())
	gs, l2c, lr := broadcast(e, c, slot(sgdSlots, "GradScale")), broadcast(e, c, slot(sgdSlots, "L2")), broadcast(e, c, slot(sgdSlots, "LR"))
	variants(flags, []int{flagL2, flagUnitScale}, func(prefix string, set int) {
		loops(prefix, e, 4, n, []Register{g, p}, func(k vk, at func(Register) Mem) {
			gv := k.scaled(k.load(at(g)), gs, set)
			pv := k.load(at(p))
			if set&flagL2 != 0 {
				gv = k.add(gv, k.mul(pv, k.c(l2c)))
			}
			k.store(k.sub(pv, k.mul(gv, k.c(lr))), at(p))
		})
	})
}

func momentum(e elem) {
	text("MomentumAVX2"+e.name, fmt.Sprintf("(p, g, b []%s, c *[%d]%s, flags uint64)", e.gotype, len(sgdSlots), e.gotype),
		fmt.Sprintf("MomentumAVX2%s implements momentumRef in package kernels with AVX2:", e.name),
		"",
		"	for i := range p {",
		"		g := g[i]·c[SGDGradScale] (skipped when flags&FlagUnitScale != 0: x·1 = x)",
		"		if flags&FlagL2 != 0 { g = g + c[SGDL2]·p[i] }",
		"		if flags&FlagFirst != 0 { b[i] = g } else { b[i] = c[SGDMomentum]·b[i] + c[SGDOneMinusDampening]·g }",
		"		d := b[i]; if flags&FlagNesterov != 0 { d = g + c[SGDMomentum]·b[i] }",
		"		p[i] = p[i] − c[SGDLR]·d",
		"	}")
	p := Load(Param("p").Base(), GP64())
	n := Load(Param("p").Len(), GP64())
	g := Load(Param("g").Base(), GP64())
	b := Load(Param("b").Base(), GP64())
	c := Load(Param("c"), GP64())
	flags := Load(Param("flags"), GP64())
	gs, l2c, lr := broadcast(e, c, slot(sgdSlots, "GradScale")), broadcast(e, c, slot(sgdSlots, "L2")), broadcast(e, c, slot(sgdSlots, "LR"))
	mu, damp := broadcast(e, c, slot(sgdSlots, "Momentum")), broadcast(e, c, slot(sgdSlots, "OneMinusDampening"))
	variants(flags, []int{flagL2, flagFirst, flagNesterov, flagUnitScale}, func(prefix string, set int) {
		loops(prefix, e, 2, n, []Register{g, p, b}, func(k vk, at func(Register) Mem) {
			gv := k.scaled(k.load(at(g)), gs, set)
			pv := k.load(at(p))
			if set&flagL2 != 0 {
				gv = k.add(gv, k.mul(pv, k.c(l2c)))
			}
			bv := gv
			if set&flagFirst == 0 {
				bv = k.add(k.mul(k.load(at(b)), k.c(mu)), k.mul(gv, k.c(damp)))
			}
			k.store(bv, at(b))
			d := bv
			if set&flagNesterov != 0 {
				d = k.add(gv, k.mul(bv, k.c(mu)))
			}
			k.store(k.sub(pv, k.mul(d, k.c(lr))), at(p))
		})
	})
}

func adam(e elem, ams bool) {
	name, ref, vmaxArg := "AdamAVX2"+e.name, "adamRef", ""
	if ams {
		name, ref, vmaxArg = "AMSGradAVX2"+e.name, "adamRef (with vmax)", ", vmax"
	}
	doc := []string{
		fmt.Sprintf("%s implements %s in package kernels with AVX2:", name, ref),
		"",
		"	for i := range p {",
		"		g := g[i]·c[AdamGradScale] (skipped when flags&FlagUnitScale != 0: x·1 = x)",
		"		if flags&FlagL2 != 0 { g = g + c[AdamL2]·p[i] }",
		"		θ := p[i]·c[AdamDecay] (skipped when flags&FlagUnitDecay != 0)",
		"		m[i] = m[i] + c[AdamOneMinusBeta1]·(g − m[i])",
		"		v[i] = c[AdamBeta2]·v[i] + (c[AdamOneMinusBeta2]·g)·g",
	}
	den := "v[i]"
	if ams {
		doc = append(doc, "		vmax[i] = vmax[i] > v[i] || vmax[i] is NaN ? vmax[i] : v[i]")
		den = "vmax[i]"
	}
	doc = append(doc,
		"		p[i] = θ − c[AdamStepSize]·(m[i] / (sqrt("+den+")·c[AdamInvSqrtBC2] + c[AdamEps]))",
		"	}")
	text(name, fmt.Sprintf("(p, g, m, v%s []%s, c *[%d]%s, flags uint64)", vmaxArg, e.gotype, len(adamSlots), e.gotype), doc...)
	p := Load(Param("p").Base(), GP64())
	n := Load(Param("p").Len(), GP64())
	g := Load(Param("g").Base(), GP64())
	m := Load(Param("m").Base(), GP64())
	v := Load(Param("v").Base(), GP64())
	var vmax Register
	if ams {
		vmax = Load(Param("vmax").Base(), GP64())
	}
	c := Load(Param("c"), GP64())
	flags := Load(Param("flags"), GP64())
	C := map[string]VecVirtual{}
	for i, s := range adamSlots {
		C[s] = broadcast(e, c, i)
	}
	pf := []Register{g, p, m, v}
	if ams {
		pf = append(pf, vmax)
	}
	variants(flags, []int{flagL2, flagUnitScale, flagUnitDecay}, func(prefix string, set int) {
		loops(prefix, e, 1, n, pf, func(k vk, at func(Register) Mem) {
			gv := k.scaled(k.load(at(g)), C["GradScale"], set)
			pv := k.load(at(p))
			if set&flagL2 != 0 {
				gv = k.add(gv, k.mul(pv, k.c(C["L2"])))
			}
			theta := pv
			if set&flagUnitDecay == 0 {
				theta = k.mul(pv, k.c(C["Decay"]))
			}
			m0 := k.load(at(m))
			mi := k.add(m0, k.mul(k.sub(gv, m0), k.c(C["OneMinusBeta1"])))
			vi := k.add(k.mul(k.load(at(v)), k.c(C["Beta2"])), k.mul(k.mul(gv, k.c(C["OneMinusBeta2"])), gv))
			k.store(mi, at(m))
			k.store(vi, at(v))
			if ams {
				vi = k.maxProp(k.load(at(vmax)), vi)
				k.store(vi, at(vmax))
			}
			d := k.add(k.mul(k.sqrt(vi), k.c(C["InvSqrtBC2"])), k.c(C["Eps"]))
			k.store(k.sub(theta, k.mul(k.div(mi, d), k.c(C["StepSize"]))), at(p))
		})
	})
}

func axpy(e elem) {
	text("AxpyAVX2"+e.name, fmt.Sprintf("(a %s, x, y []%s)", e.gotype, e.gotype),
		fmt.Sprintf("AxpyAVX2%s implements axpyRef in package kernels with AVX2:", e.name),
		"",
		"	for i := range y {",
		"		y[i] = y[i] + a·x[i]",
		"	}")
	a := broadcastParam(e, "a")
	x := Load(Param("x").Base(), GP64())
	y := Load(Param("y").Base(), GP64())
	n := Load(Param("y").Len(), GP64())
	loops("", e, 4, n, []Register{x, y}, func(k vk, at func(Register) Mem) {
		k.store(k.add(k.load(at(y)), k.mul(k.load(at(x)), k.c(a))), at(y))
	})
}

func scale(e elem) {
	text("ScaleAVX2"+e.name, fmt.Sprintf("(a %s, x []%s)", e.gotype, e.gotype),
		fmt.Sprintf("ScaleAVX2%s implements scaleRef in package kernels with AVX2:", e.name),
		"",
		"	for i := range x {",
		"		x[i] = x[i]·a",
		"	}")
	a := broadcastParam(e, "a")
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	loops("", e, 4, n, []Register{x}, func(k vk, at func(Register) Mem) {
		k.store(k.mul(k.load(at(x)), k.c(a)), at(x))
	})
}

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
	k := vk{e: e}
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
	s := vk{e: e, scalar: true}
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
