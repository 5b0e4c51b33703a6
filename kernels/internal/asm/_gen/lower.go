package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/descent-go/descent/kernels/internal/asm/_gen/spec"
)

// lower emits kernel k for element type e on the ISA being generated: one
// set of loops per combination of its variant flags, chosen at entry.
func lower(x isaT, k *spec.Kernel, e elem) {
	se := spec.F32
	if e.size == 8 {
		se = spec.F64
	}
	name := k.Name + x.name + e.name
	TEXT(name, NOSPLIT, "func"+k.Sig(se))
	Pragma("noescape")
	Doc(k.AsmDoc(x.name, se)...)
	ptr := make([]Register, len(k.Streams))
	for i, s := range k.Streams {
		ptr[i] = Load(Param(s.Name).Base(), GP64())
	}
	n := Load(Param(k.Streams[0].Name).Len(), GP64())
	flags := Load(Param("flags"), GP64())
	b := k.Build()
	sets := k.Sets()
	if len(sets) > 1 {
		t := GP64()
		MOVQ(flags, t)
		ANDQ(U32(k.VariantMask()), t)
		for _, s := range sets[1:] {
			CMPQ(t, U32(uint64(s)))
			JEQ(LabelRef(fmt.Sprintf("v%d_", s)))
		}
	}
	for i, s := range sets {
		prefix := fmt.Sprintf("v%d_", s)
		if i > 0 {
			Label(prefix)
		}
		p := b.Resolve(s)
		C := map[int]VecVirtual{}
		for _, sl := range p.Slots {
			C[sl] = broadcastSlot(x, e, sl)
		}
		var kc *signConsts
		for _, nd := range p.Order {
			if b.Nodes[nd].Op == spec.OpSign && kc == nil {
				kc = newSignConsts(x, e)
			}
		}
		var pf []Register
		for i := range k.Streams {
			if p.StreamUsed(i) {
				pf = append(pf, ptr[i])
			}
		}
		loops(x, prefix, e, k.Unroll, n, pf, func(v vk, at func(Register) Mem) {
			emitBody(v, p, at, ptr, C, kc)
		})
	}
}

// broadcastSlot loads coefficient slot i of the argument c into every lane
// of a vector register.
func broadcastSlot(x isaT, e elem, i int) VecVirtual {
	r := x.vecReg()
	c, err := Param("c").Index(i).Resolve()
	must(err)
	m := c.Addr
	if e.size == 8 {
		VBROADCASTSD(m, r)
	} else {
		VBROADCASTSS(m, r)
	}
	return r
}

// signConsts holds +1, −1 and +0 in every lane, for sign.
type signConsts struct{ one, neg, zero VecVirtual }

func newSignConsts(x isaT, e elem) *signConsts {
	c := &signConsts{one: x.vecReg(), zero: x.vecReg()}
	consts := []struct {
		r    VecVirtual
		bits uint64
	}{{c.one, 0x3f800000}}
	if x.width == 64 { // −1 is blended in by mask on ZMM
		c.neg = x.vecReg()
		consts = append(consts, struct {
			r    VecVirtual
			bits uint64
		}{c.neg, 0xbf800000})
	}
	for _, x := range consts {
		t, xr := GP64(), XMM()
		if e.size == 8 {
			MOVQ(U64(map[uint64]uint64{0x3f800000: 0x3ff0000000000000, 0xbf800000: 0xbff0000000000000}[x.bits]), t)
			VMOVQ(t, xr)
			VBROADCASTSD(xr, x.r)
		} else {
			MOVL(U32(x.bits), t.As32())
			VMOVD(t.As32(), xr)
			VBROADCASTSS(xr, x.r)
		}
	}
	if x.width == 64 {
		VPXORD(c.zero, c.zero, c.zero)
	} else {
		VXORPS(c.zero, c.zero, c.zero)
	}
	return c
}

// emitBody emits the plan's operations on one register (or element) of
// every stream: the loads first, then the arithmetic, then the stores.
func emitBody(k vk, p *spec.Plan, at func(Register) Mem, ptr []Register, C map[int]VecVirtual, kc *signConsts) {
	b := p.B
	val := map[int]Op{}
	get := func(n int) Op {
		nd := &b.Nodes[n]
		if nd.Op == spec.OpSlot {
			return k.c(C[nd.Slot])
		}
		v, ok := val[n]
		if !ok {
			panic(fmt.Sprintf("%s: node %d used before it is computed", b.K.Name, n))
		}
		return v
	}
	for _, n := range p.Loads {
		val[n] = k.load(at(ptr[b.Nodes[n].Stream]))
	}
	for _, n := range p.Order {
		nd := &b.Nodes[n]
		a := p.Args(n)
		switch nd.Op {
		case spec.OpAdd:
			val[n] = k.add(get(a[0]), get(a[1]))
		case spec.OpSub:
			val[n] = k.sub(get(a[0]), get(a[1]))
		case spec.OpMul:
			val[n] = k.mul(get(a[0]), get(a[1]))
		case spec.OpMulUnit:
			val[n] = k.mul(get(a[0]), k.c(C[nd.Slot]))
		case spec.OpDiv:
			val[n] = k.div(get(a[0]), get(a[1]))
		case spec.OpSqrt:
			val[n] = k.sqrt(get(a[0]))
		case spec.OpMaxNaN:
			val[n] = k.maxProp(get(a[0]), get(a[1]))
		case spec.OpSign:
			val[n] = k.sign(get(a[0]), kc)
		default:
			panic(fmt.Sprintf("%s: op %d not lowered", b.K.Name, nd.Op))
		}
	}
	for _, st := range p.Stores {
		k.store(get(st.Value), at(ptr[st.Stream]))
	}
}
