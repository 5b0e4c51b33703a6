package main

import (
	"fmt"
	"strings"
)

// elem is an element type.
type elem struct {
	name   string // suffix of the function names: F32, F64
	gotype string // float32, float64
	size   int    // bytes
	t      arr    // arrangement of a full 128-bit register
	fs     string // suffix of Go's scalar instructions: S, D
}

var (
	f32 = elem{"F32", "float32", 4, a4s, "S"}
	f64 = elem{"F64", "float64", 8, a2d, "D"}
)

// lanes is the number of elements in a 128-bit register.
func (e elem) lanes() int { return 16 / e.size }

// lane is Go's name of one lane: S or D.
func (e elem) lane() string { return e.fs }

// opnd is a value in vector registers: a group of consecutive registers
// V[r], V[r+1], … (one per unit of the loop body), or a constant broadcast
// in the single register V[r] that every unit reads.
type opnd struct {
	r     int
	konst bool
}

func konst(r int) opnd { return opnd{r, true} }

// kern emits the body of an elementwise loop on u registers per operand
// (units), interleaved operation by operation, or, when scalar, on one
// element in the low lane of each register with the scalar instructions.
type kern struct {
	a      *asmFile
	e      elem
	u      int
	scalar bool
}

// grp returns the i-th register group of the body.
func (k kern) grp(i int) opnd { return opnd{r: i * k.u} }

func (k kern) reg(o opnd, j int) int {
	if o.konst {
		return o.r
	}
	return o.r + j
}

// list is a VLD1/VST1 register list for group o.
func (k kern) list(o opnd) string {
	if k.u > 4 {
		panic("more than four registers in a list")
	}
	var s []string
	for j := 0; j < k.u; j++ {
		s = append(s, fmt.Sprintf("V%d.%s", k.reg(o, j), k.e.t.goa))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// load loads the next elements at ptr into d; post advances ptr past them.
func (k kern) load(d opnd, ptr string, post bool) {
	switch {
	case k.scalar && post:
		k.a.ins("FMOV%s.P %d(%s), F%d", k.e.fs, k.e.size, ptr, d.r)
	case k.scalar:
		k.a.ins("FMOV%s (%s), F%d", k.e.fs, ptr, d.r)
	case post:
		k.a.ins("VLD1.P %d(%s), %s", 16*k.u, ptr, k.list(d))
	default:
		k.a.ins("VLD1 (%s), %s", ptr, k.list(d))
	}
}

// store stores s at ptr and advances ptr past it.
func (k kern) store(s opnd, ptr string) {
	if k.scalar {
		k.a.ins("FMOV%s.P F%d, %d(%s)", k.e.fs, s.r, k.e.size, ptr)
		return
	}
	k.a.ins("VST1.P %s, %d(%s)", k.list(s), 16*k.u, ptr)
}

var goScalar = map[string]string{"fadd": "FADD", "fsub": "FSUB", "fmul": "FMUL", "fdiv": "FDIV"}

// op emits d = a op b, rounded to the element type.
func (k kern) op(op string, d, a, b opnd) {
	for j := 0; j < k.u; j++ {
		if k.scalar {
			// Go's operand order: FSUBS Fm, Fn, Fd is Fd = Fn − Fm.
			k.a.ins("%s%s F%d, F%d, F%d", goScalar[op], k.e.fs, b.r, a.r, d.r)
		} else {
			k.a.fp3(op, k.e.t, k.reg(d, j), k.reg(a, j), k.reg(b, j))
		}
	}
}

func (k kern) add(d, a, b opnd) { k.op("fadd", d, a, b) }
func (k kern) sub(d, a, b opnd) { k.op("fsub", d, a, b) }
func (k kern) mul(d, a, b opnd) { k.op("fmul", d, a, b) }
func (k kern) div(d, a, b opnd) { k.op("fdiv", d, a, b) }

// sqrt emits d = sqrt(a), correctly rounded.
func (k kern) sqrt(d, a opnd) {
	for j := 0; j < k.u; j++ {
		if k.scalar {
			k.a.ins("FSQRT%s F%d, F%d", k.e.fs, a.r, d.r)
		} else {
			k.a.fsqrt(k.e.t, k.reg(d, j), k.reg(a, j))
		}
	}
}

// maxProp emits v = vmax > v || vmax is NaN ? vmax : v, using t as scratch.
// (FMAX would give +0 for max(+0, −0) either way round, and the NaN of its
// first operand; this is the reference's max exactly.)
func (k kern) maxProp(v, vmax, t opnd) {
	if k.scalar {
		fs := k.e.fs
		k.a.ins("FCMP%s F%d, F%d", fs, v.r, vmax.r)                // flags: vmax vs v
		k.a.ins("FCSEL%s GT, F%d, F%d, F%d", fs, vmax.r, v.r, t.r) // t = vmax > v ? vmax : v
		k.a.ins("FCMP%s F%d, F%d", fs, vmax.r, vmax.r)             // unordered iff vmax is NaN
		k.a.ins("FCSEL%s VS, F%d, F%d, F%d", fs, vmax.r, t.r, v.r) // v = vmax is NaN ? vmax : t
		return
	}
	for j := 0; j < k.u; j++ { // t = vmax > v (all ones or zeros)
		k.a.fp3("fcmgt", k.e.t, k.reg(t, j), k.reg(vmax, j), k.reg(v, j))
	}
	for j := 0; j < k.u; j++ { // v = t ? vmax : v
		k.a.ins("VBIT V%d.B16, V%d.B16, V%d.B16", k.reg(t, j), k.reg(vmax, j), k.reg(v, j))
	}
	for j := 0; j < k.u; j++ { // t = vmax == vmax: vmax is not NaN
		k.a.fp3("fcmeq", k.e.t, k.reg(t, j), k.reg(vmax, j), k.reg(vmax, j))
	}
	for j := 0; j < k.u; j++ { // v = t ? v : vmax
		k.a.ins("VBIF V%d.B16, V%d.B16, V%d.B16", k.reg(t, j), k.reg(vmax, j), k.reg(v, j))
	}
}

func log2(n int) int {
	l := 0
	for 1<<l < n {
		l++
	}
	if 1<<l != n {
		panic(fmt.Sprint(n, " is not a power of two"))
	}
	return l
}

// loops emits the loops of an elementwise kernel over n elements (register
// n): u registers per operand per iteration while that many remain, then one
// register at a time, then one element at a time, and RET. cnt is a scratch
// register. Labels take prefix.
func loops(a *asmFile, prefix string, e elem, u int, n, cnt string, body func(k kern)) {
	W := e.lanes()
	a.ins("LSR $%d, %s, %s", log2(u*W), n, cnt)
	a.ins("CBZ %s, %svec", cnt, prefix)
	a.label(prefix + "loop")
	body(kern{a: a, e: e, u: u})
	a.ins("SUBS $1, %s, %s", cnt, cnt)
	a.ins("BNE %sloop", prefix)
	a.label(prefix + "vec")
	if u > 1 {
		a.ins("LSR $%d, %s, %s", log2(W), n, cnt)
		a.ins("AND $%d, %s, %s", u-1, cnt, cnt)
		a.ins("CBZ %s, %stail", cnt, prefix)
		a.label(prefix + "vloop")
		body(kern{a: a, e: e, u: 1})
		a.ins("SUBS $1, %s, %s", cnt, cnt)
		a.ins("BNE %svloop", prefix)
		a.label(prefix + "tail")
	}
	a.ins("AND $%d, %s, %s", W-1, n, cnt)
	a.ins("CBZ %s, %sdone", cnt, prefix)
	a.label(prefix + "sloop")
	body(kern{a: a, e: e, u: 1, scalar: true})
	a.ins("SUBS $1, %s, %s", cnt, cnt)
	a.ins("BNE %ssloop", prefix)
	a.label(prefix + "done")
	a.ins("RET")
}

// variants emits one set of loops per combination of the given flag bits,
// selected at entry by comparing flags (clobbered); emit receives the label
// prefix and the combination.
func variants(a *asmFile, flags string, bits []int, emit func(prefix string, set int)) {
	all := 0
	for _, b := range bits {
		all |= b
	}
	combo := func(v int) int {
		set := 0
		for j, b := range bits {
			if v&(1<<j) != 0 {
				set |= b
			}
		}
		return set
	}
	n := 1 << len(bits)
	a.ins("AND $%d, %s, %s", all, flags, flags)
	for v := 1; v < n; v++ {
		a.ins("CMP $%d, %s", combo(v), flags)
		a.ins("BEQ v%d_", combo(v))
	}
	for v := 0; v < n; v++ {
		set := combo(v)
		prefix := fmt.Sprintf("v%d_", set)
		if v > 0 {
			a.label(prefix)
		}
		a.comment("flags: %s", flagNames(set))
		emit(prefix, set)
	}
}

func flagNames(set int) string {
	var s []string
	for _, f := range []struct {
		bit  int
		name string
	}{{flagL2, "L2"}, {flagNesterov, "Nesterov"}, {flagFirst, "First"}} {
		if set&f.bit != 0 {
			s = append(s, f.name)
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

// broadcast loads element slot (called name) of the vector at c into every
// lane of V[r].
func broadcast(a *asmFile, e elem, c, name string, slot int, r int) opnd {
	a.comment("V%d = c[%s] in every lane", r, name)
	a.ins("FMOV%s %d(%s), F%d", e.fs, slot*e.size, c, r)
	a.ins("VDUP V%d.%s[0], V%d.%s", r, e.lane(), r, e.t.goa)
	return konst(r)
}

// note emits a comment saying what the next instructions compute.
func (k kern) note(s string) { k.a.comment("%s", s) }
