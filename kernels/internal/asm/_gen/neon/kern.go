package main

import (
	"fmt"
	"strings"

	"github.com/descent-go/descent/kernels/internal/asm/_gen/spec"
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

func (e elem) spec() spec.Elem {
	if e.size == 8 {
		return spec.F64
	}
	return spec.F32
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

// lower emits kernel k for element type e: one set of loops per combination
// of its variant flags, chosen at entry. Stream i's pointer lives in Ri, the
// length in R(len(streams)), the flags and then the loop counter after it.
func lower(g *gen, k *spec.Kernel, e elem) {
	var names []string
	for _, s := range k.Streams {
		names = append(names, s.Name)
	}
	f := &fn{name: k.Name + "NEON" + e.name,
		args: append(slices(e, names...), param{"c", fmt.Sprintf("[%d]%s", len(k.Slots), e.gotype)}, param{"flags", "uint64"}),
		doc:  k.AsmDoc("NEON", e.spec())}
	g.text(f)
	a := &g.a
	ns := len(k.Streams)
	for i, s := range k.Streams {
		a.ins("MOVD %s, R%d", f.base(s.Name), i)
	}
	n, flags, cnt := fmt.Sprintf("R%d", ns), fmt.Sprintf("R%d", ns+1), fmt.Sprintf("R%d", ns+2)
	a.ins("MOVD %s, %s", f.len(k.Streams[0].Name), n)
	a.ins("MOVD %s, %s", f.at("flags"), flags)
	b := k.Build()
	sets := k.Sets()
	if len(sets) > 1 {
		a.ins("AND $%d, %s, %s", k.VariantMask(), flags, flags)
		for _, s := range sets[1:] {
			a.ins("CMP $%d, %s", uint64(s), flags)
			a.ins("BEQ v%d_", s)
		}
	}
	for i, s := range sets {
		prefix := fmt.Sprintf("v%d_", s)
		if i > 0 {
			a.label(prefix)
		}
		a.comment("flags: %s", setNames(k, s))
		p := b.Resolve(s)
		cs := &consts{slot: map[int]int{}, next: 31}
		for _, sl := range p.Slots {
			r := cs.take()
			cs.slot[sl] = r
			a.comment("V%d = c[%s%s] in every lane", r, k.Name, k.Slots[sl])
			a.ins("FMOV%s %s, F%d", e.fs, f.elemAt("c", sl, e.size), r)
			a.ins("VDUP V%d.%s[0], V%d.%s", r, e.fs, r, e.t.goa)
		}
		for _, nd := range p.Order {
			if b.Nodes[nd].Op == spec.OpSign && cs.one == 0 {
				cs.one, cs.zero = cs.take(), cs.take()
				a.comment("V%d = 1, V%d = +0 in every lane", cs.one, cs.zero)
				a.ins("FMOV%s $1.0, F%d", e.fs, cs.one)
				a.ins("VDUP V%d.%s[0], V%d.%s", cs.one, e.fs, cs.one, e.t.goa)
				a.ins("VEOR V%d.B16, V%d.B16, V%d.B16", cs.zero, cs.zero, cs.zero)
			}
		}
		// The widest unroll whose values fit in the registers left.
		u := 4
		for ; u > 1; u /= 2 {
			if fits(p, e, u, cs) {
				break
			}
		}
		loops(a, prefix, e, u, n, cnt, func(kk kern) { emitBody(kk, p, cs) })
	}
}

func setNames(k *spec.Kernel, s spec.Set) string {
	var out []string
	for _, f := range k.Variant {
		if s.Has(f) {
			out = append(out, f.Name)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

// consts are the registers holding broadcast constants, taken from V31
// down.
type consts struct {
	slot      map[int]int
	one, zero int
	next      int
}

func (c *consts) take() int {
	c.next--
	return c.next + 1
}

// free is the number of registers below the constants.
func (c *consts) free() int { return c.next + 1 }

// fits reports whether the body's values fit in the free registers with u
// registers per value.
func fits(p *spec.Plan, e elem, u int, cs *consts) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	emitBody(kern{a: &asmFile{}, e: e, u: u}, p, cs)
	return true
}

// kern emits the body of an elementwise loop on u registers per value
// (units), or, when scalar, on one element in the low lane (loads and stores
// move one element; the vector instructions compute the other lanes on
// zeros, which is harmless).
type kern struct {
	a      *asmFile
	e      elem
	u      int
	scalar bool
}

// alloc hands out groups of u consecutive registers below the constants.
type alloc struct {
	u    int
	used []bool // per group
}

func newAlloc(u, free int) *alloc { return &alloc{u: u, used: make([]bool, free/u)} }

func (al *alloc) get() int {
	for i, b := range al.used {
		if !b {
			al.used[i] = true
			return i * al.u
		}
	}
	panic("out of registers")
}

func (al *alloc) put(r int) { al.used[r/al.u] = false }

// list is a VLD1/VST1 register list of the group at r.
func (k kern) list(r int) string {
	var s []string
	for j := 0; j < k.u; j++ {
		s = append(s, fmt.Sprintf("V%d.%s", r+j, k.e.t.goa))
	}
	return "[" + strings.Join(s, ", ") + "]"
}

// emitBody emits the plan's operations on one iteration: the loads, the
// arithmetic, the stores. A value is a group of u registers; a slot or a
// constant is one register that every unit reads.
func emitBody(k kern, p *spec.Plan, cs *consts) {
	b := p.B
	a := k.a
	al := newAlloc(k.u, cs.free())
	val := map[int]int{}
	isConst := func(n int) bool { return b.Nodes[n].Op == spec.OpSlot }
	reg := func(n, j int) int {
		if isConst(n) {
			return cs.slot[b.Nodes[n].Slot]
		}
		r, ok := val[n]
		if !ok {
			panic(fmt.Sprintf("%s: node %d used before it is computed", b.K.Name, n))
		}
		return r + j
	}
	for _, n := range p.Loads {
		s := b.Nodes[n].Stream
		r := al.get()
		val[n] = r
		ptr := fmt.Sprintf("R%d", s)
		post := !p.Stored(s)
		switch {
		case k.scalar && post:
			a.ins("FMOV%s.P %d(%s), F%d", k.e.fs, k.e.size, ptr, r)
		case k.scalar:
			a.ins("FMOV%s (%s), F%d", k.e.fs, ptr, r)
		case post:
			a.ins("VLD1.P %d(%s), %s", 16*k.u, ptr, k.list(r))
		default:
			a.ins("VLD1 (%s), %s", ptr, k.list(r))
		}
	}
	t := k.e.t
	for i, n := range p.Order {
		nd := &b.Nodes[n]
		args := p.Args(n)
		d := al.get()
		switch nd.Op {
		case spec.OpAdd, spec.OpSub, spec.OpMul, spec.OpDiv:
			op := map[spec.Op]string{spec.OpAdd: "fadd", spec.OpSub: "fsub", spec.OpMul: "fmul", spec.OpDiv: "fdiv"}[nd.Op]
			for j := 0; j < k.u; j++ {
				a.fp3(op, t, d+j, reg(args[0], j), reg(args[1], j))
			}
		case spec.OpMulUnit:
			for j := 0; j < k.u; j++ {
				a.fp3("fmul", t, d+j, reg(args[0], j), cs.slot[nd.Slot])
			}
		case spec.OpSqrt:
			for j := 0; j < k.u; j++ {
				a.fsqrt(t, d+j, reg(args[0], j))
			}
		case spec.OpMaxNaN:
			// d = a > b || a is NaN ? a : b, as the reference's max (FMAX
			// differs on ±0 and on which NaN it returns).
			tm := al.get()
			for j := 0; j < k.u; j++ {
				x, y := reg(args[0], j), reg(args[1], j)
				a.fp3("fcmgt", t, tm+j, x, y)                         // tm = a > b
				a.ins("VORR V%d.B16, V%d.B16, V%d.B16", y, y, d+j)    // d = b
				a.ins("VBIT V%d.B16, V%d.B16, V%d.B16", tm+j, x, d+j) // d = tm ? a : d
				a.fp3("fcmeq", t, tm+j, x, x)                         // tm = a is not NaN
				a.ins("VBIF V%d.B16, V%d.B16, V%d.B16", tm+j, x, d+j) // d = tm ? d : a
			}
			al.put(tm)
		case spec.OpSign:
			// d = (a > 0 ? 1 : 0) − (a < 0 ? 1 : 0), or a where a is NaN.
			pos, neg := al.get(), al.get()
			for j := 0; j < k.u; j++ {
				x := reg(args[0], j)
				a.fp3("fcmgt", t, pos+j, x, cs.zero)                          // pos = a > 0
				a.fp3("fcmgt", t, neg+j, cs.zero, x)                          // neg = a < 0
				a.ins("VAND V%d.B16, V%d.B16, V%d.B16", cs.one, pos+j, pos+j) // pos = a > 0 ? 1 : +0
				a.ins("VAND V%d.B16, V%d.B16, V%d.B16", cs.one, neg+j, neg+j) // neg = a < 0 ? 1 : +0
				a.fp3("fsub", t, d+j, pos+j, neg+j)                           // d = pos − neg
				a.fp3("fcmeq", t, pos+j, x, x)                                // pos = a is not NaN
				a.ins("VBIF V%d.B16, V%d.B16, V%d.B16", pos+j, x, d+j)        // d = pos ? d : a
			}
			al.put(pos)
			al.put(neg)
		default:
			panic(fmt.Sprintf("%s: op %d not lowered", b.K.Name, nd.Op))
		}
		val[n] = d
		for _, x := range args {
			if !isConst(x) && p.Last[x] == i {
				if !aliasedLater(p, x, i) {
					al.put(val[x])
				}
			}
		}
	}
	for _, st := range p.Stores {
		r := reg(st.Value, 0)
		ptr := fmt.Sprintf("R%d", st.Stream)
		if k.scalar {
			a.ins("FMOV%s.P F%d, %d(%s)", k.e.fs, r, k.e.size, ptr)
		} else {
			a.ins("VST1.P %s, %d(%s)", k.list(r), 16*k.u, ptr)
		}
	}
}

// aliasedLater reports whether node x is still needed after position i:
// its last use is at i, so it is not (kept for clarity of the rule).
func aliasedLater(p *spec.Plan, x, i int) bool { return p.Last[x] > i }

// loops emits the loops of an elementwise kernel over n elements (register
// n): u registers per value per iteration while that many remain, then one
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
