package main

import (
	"fmt"
	"strings"
)

// param is an argument or result of a kernel.
type param struct{ name, typ string }

// fn is one generated function.
type fn struct {
	name    string
	args    []param
	results []param // an unnamed result has name "ret" and unnamed is set
	unnamed bool
	doc     []string
	off     map[string]int // frame offset of each parameter
	size    int            // argument frame size
}

func sizeOf(typ string) int {
	if n, el, ok := arrayOf(typ); ok {
		return n * sizeOf(el)
	}
	switch {
	case strings.HasPrefix(typ, "[]"):
		return 24
	case typ == "float32", typ == "uint32":
		return 4
	case typ == "bool":
		return 1
	}
	return 8 // float64, uint64, pointers
}

// arrayOf splits an array type "[N]T".
func arrayOf(typ string) (n int, elem string, ok bool) {
	if !strings.HasPrefix(typ, "[") || strings.HasPrefix(typ, "[]") {
		return 0, "", false
	}
	i := strings.Index(typ, "]")
	if _, err := fmt.Sscan(typ[1:i], &n); err != nil {
		panic(err)
	}
	return n, typ[i+1:], true
}

func alignOf(typ string) int {
	if _, el, ok := arrayOf(typ); ok {
		return alignOf(el)
	}
	if strings.HasPrefix(typ, "[]") || strings.HasPrefix(typ, "*") {
		return 8
	}
	return sizeOf(typ)
}

func align(x, a int) int { return (x + a - 1) / a * a }

func (f *fn) layout() {
	f.off = map[string]int{}
	o := 0
	for _, p := range f.args {
		o = align(o, alignOf(p.typ))
		f.off[p.name] = o
		o += sizeOf(p.typ)
	}
	if len(f.results) > 0 { // results start pointer-aligned
		o = align(o, 8)
	}
	for _, p := range f.results {
		o = align(o, alignOf(p.typ))
		f.off[p.name] = o
		o += sizeOf(p.typ)
	}
	f.size = o
}

// sig is the Go signature, without the name.
func (f *fn) sig() string {
	var as, rs []string
	for _, p := range f.args {
		as = append(as, p.name+" "+p.typ)
	}
	s := "(" + strings.Join(as, ", ") + ")"
	switch {
	case f.unnamed:
		s += " " + f.results[0].typ
	case len(f.results) > 0:
		for _, p := range f.results {
			rs = append(rs, p.name+" "+p.typ)
		}
		s += " (" + strings.Join(rs, ", ") + ")"
	}
	return s
}

// Frame references for asmdecl.
func (f *fn) base(name string) string { return fmt.Sprintf("%s_base+%d(FP)", name, f.off[name]) }
func (f *fn) len(name string) string  { return fmt.Sprintf("%s_len+%d(FP)", name, f.off[name]+8) }
func (f *fn) at(name string) string   { return fmt.Sprintf("%s+%d(FP)", name, f.off[name]) }

// elemAt is element i of array argument name, of size bytes.
func (f *fn) elemAt(name string, i, size int) string {
	return fmt.Sprintf("%s_%d+%d(FP)", name, i, f.off[name]+i*size)
}

type gen struct {
	a   asmFile
	fns []*fn
}

// text starts a function.
func (g *gen) text(f *fn) {
	f.layout()
	g.fns = append(g.fns, f)
	fmt.Fprintf(&g.a.b, "\n// func %s%s\nTEXT ·%s(SB), NOSPLIT, $0-%d\n", f.name, f.sig(), f.name, f.size)
}

func slices(e elem, names ...string) []param {
	var ps []param
	for _, n := range names {
		ps = append(ps, param{n, "[]" + e.gotype})
	}
	return ps
}

// Reductions keep the P partial sums s[0..P) in the eight accumulators
// V16…V23, lane j of V[16+r] holding s[r·lanes+j], and combine them by
// halving: s[k] += s[k+P/2] is V16…V19 += V20…V23, and so on down to the
// lanes of V16.

// zeroAcc sets the accumulators to +0.
func zeroAcc(a *asmFile) {
	for r := 16; r < 24; r++ {
		a.ins("VEOR V%d.B16, V%d.B16, V%d.B16", r, r, r)
	}
}

// reduce combines the accumulators (arrangement t, 2 or 4 lanes of size
// bytes) by halving, leaving s[0] in F16.
func reduce(a *asmFile, t arr, size int) {
	a.comment("combine the partial sums by halving")
	for w := 4; w >= 1; w /= 2 {
		for r := 0; r < w; r++ {
			a.fp3("fadd", t, 16+r, 16+r, 16+r+w)
		}
	}
	if t.gnu == "4s" {
		a.ins("VEXT $8, V16.B16, V16.B16, V17.B16") // lanes 2, 3 of V16 to lanes 0, 1 of V17
		a.fp3("fadd", t, 16, 16, 17)
	}
	a.faddp(size, 16, 16) // s[0] += s[1]
}

func sumSquares(g *gen, e elem) {
	f := &fn{name: "SumSquaresNEON" + e.name, args: slices(e, "x"), results: []param{{"sum", "float64"}},
		doc: []string{fmt.Sprintf("SumSquaresNEON%s returns sumSquaresRef%d(x) in package kernels: the sum", e.name, 8*e.size),
			"of float64(x[i])² in the canonical order with 16 partial sums (eight",
			"accumulators of two float64; the tail is added to s[0] one element at a",
			"time)."}}
	if e.size == 8 {
		f.results = append(f.results, param{"finite", "bool"})
		f.doc = append(f.doc, "finite reports whether every x[i] is finite: x − x is +0 for finite x and",
			"NaN otherwise, and the OR of those bits is zero exactly when all are finite.")
	}
	g.text(f)
	a := &g.a
	a.ins("MOVD %s, R0", f.base("x"))
	a.ins("MOVD %s, R1", f.len("x"))
	zeroAcc(a)
	if e.size == 8 {
		a.ins("VEOR V24.B16, V24.B16, V24.B16") // OR of x − x over the blocks
		a.ins("MOVD ZR, R4")                    // OR of x − x over the tail
	}
	a.ins("LSR $4, R1, R2")
	a.ins("CBZ R2, reduce")
	a.label("block")
	if e.size == 4 {
		a.ins("VLD1.P 64(R0), [V0.S4, V1.S4, V2.S4, V3.S4]")
		for r := 0; r < 4; r++ { // x[4r…4r+3] to float64: s[4r], s[4r+1] in V[8+2r], s[4r+2], s[4r+3] in V[9+2r]
			a.fcvtl(8+2*r, r, false)
			a.fcvtl(9+2*r, r, true)
		}
		for q := 8; q < 16; q++ {
			a.fp3("fmul", a2d, q, q, q) // exact
		}
		for q := 0; q < 8; q++ {
			a.fp3("fadd", a2d, 16+q, 16+q, 8+q)
		}
	} else {
		a.ins("VLD1.P 64(R0), [V0.D2, V1.D2, V2.D2, V3.D2]")
		a.ins("VLD1.P 64(R0), [V4.D2, V5.D2, V6.D2, V7.D2]")
		for q := 0; q < 8; q++ {
			a.fp3("fsub", a2d, 8+q, q, q) // +0 if finite, else NaN
		}
		for q := 8; q < 16; q += 2 {
			a.ins("VORR V%d.B16, V%d.B16, V%d.B16", q+1, q, q)
		}
		a.ins("VORR V10.B16, V8.B16, V8.B16")
		a.ins("VORR V14.B16, V12.B16, V12.B16")
		a.ins("VORR V12.B16, V8.B16, V8.B16")
		a.ins("VORR V8.B16, V24.B16, V24.B16")
		for q := 0; q < 8; q++ {
			a.fp3("fmul", a2d, q, q, q)
		}
		for q := 0; q < 8; q++ {
			a.fp3("fadd", a2d, 16+q, 16+q, q)
		}
	}
	a.ins("SUBS $1, R2, R2")
	a.ins("BNE block")
	a.label("reduce")
	reduce(a, a2d, 8)
	a.ins("AND $15, R1, R2")
	a.ins("CBZ R2, done")
	a.label("tail")
	if e.size == 4 {
		a.ins("FMOVS.P 4(R0), F0")
		a.ins("FCVTSD F0, F0")
	} else {
		a.ins("FMOVD.P 8(R0), F0")
		a.ins("FSUBD F0, F0, F1")
		a.ins("FMOVD F1, R5")
		a.ins("ORR R5, R4, R4")
	}
	a.ins("FMULD F0, F0, F0")
	a.ins("FADDD F0, F16, F16")
	a.ins("SUBS $1, R2, R2")
	a.ins("BNE tail")
	a.label("done")
	a.ins("FMOVD F16, %s", f.at("sum"))
	if e.size == 8 {
		a.ins("VMOV V24.D[0], R5")
		a.ins("VMOV V24.D[1], R6")
		a.ins("ORR R5, R4, R4")
		a.ins("ORR R6, R4, R4")
		a.ins("CMP $0, R4")
		a.ins("CSET EQ, R5")
		a.ins("MOVB R5, %s", f.at("finite"))
	}
	a.ins("RET")
}

func dot(g *gen, e elem) {
	P := 128 / e.size
	f := &fn{name: "DotNEON" + e.name, args: slices(e, "x", "y"), results: []param{{"ret", e.gotype}}, unnamed: true,
		doc: []string{fmt.Sprintf("DotNEON%s returns dotRef(x, y) in package kernels: the sum of", e.name),
			fmt.Sprintf("x[i]·y[i] in %s in the canonical order with %d partial sums (eight", e.gotype, P),
			"accumulators; the tail is added to s[0] one element at a time)."}}
	g.text(f)
	a := &g.a
	ar := e.t.goa
	a.ins("MOVD %s, R0", f.base("x"))
	a.ins("MOVD %s, R1", f.base("y"))
	a.ins("MOVD %s, R2", f.len("x"))
	zeroAcc(a)
	a.ins("LSR $%d, R2, R3", log2(P))
	a.ins("CBZ R3, reduce")
	a.label("block")
	a.ins("VLD1.P 64(R0), [V0.%s, V1.%s, V2.%s, V3.%s]", ar, ar, ar, ar)
	a.ins("VLD1.P 64(R0), [V4.%s, V5.%s, V6.%s, V7.%s]", ar, ar, ar, ar)
	a.ins("VLD1.P 64(R1), [V8.%s, V9.%s, V10.%s, V11.%s]", ar, ar, ar, ar)
	a.ins("VLD1.P 64(R1), [V12.%s, V13.%s, V14.%s, V15.%s]", ar, ar, ar, ar)
	for r := 0; r < 8; r++ {
		a.fp3("fmul", e.t, r, r, 8+r)
	}
	for r := 0; r < 8; r++ {
		a.fp3("fadd", e.t, 16+r, 16+r, r)
	}
	a.ins("SUBS $1, R3, R3")
	a.ins("BNE block")
	a.label("reduce")
	reduce(a, e.t, e.size)
	a.ins("AND $%d, R2, R3", P-1)
	a.ins("CBZ R3, done")
	a.label("tail")
	a.ins("FMOV%s.P %d(R0), F0", e.fs, e.size)
	a.ins("FMOV%s.P %d(R1), F1", e.fs, e.size)
	a.ins("FMUL%s F1, F0, F0", e.fs)
	a.ins("FADD%s F0, F16, F16", e.fs)
	a.ins("SUBS $1, R3, R3")
	a.ins("BNE tail")
	a.label("done")
	a.ins("FMOV%s F16, %s", e.fs, f.at("ret"))
	a.ins("RET")
}
