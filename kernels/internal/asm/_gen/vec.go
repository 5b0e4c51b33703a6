package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// elem is an element type.
type elem struct {
	name   string // suffix of the function names: F32, F64
	gotype string // float32, float64
	size   int    // bytes
}

var (
	f32 = elem{"F32", "float32", 4}
	f64 = elem{"F64", "float64", 8}
)

// isaT is the instruction set being generated: its name in the function
// names and the width of its vector registers.
type isaT struct {
	name  string
	width int // bytes
}

var (
	avx2   = isaT{"AVX2", 32}   // YMM registers
	avx512 = isaT{"AVX512", 64} // ZMM registers (AVX-512F), the same code
)

// lanes is the number of elements of e in a vector register.
func (x isaT) lanes(e elem) int { return x.width / e.size }

// vecReg allocates a vector register of the ISA.
func (x isaT) vecReg() VecVirtual {
	if x.width == 64 {
		return ZMM()
	}
	return YMM()
}

// vk emits the arithmetic of one element type on whole YMM registers, or,
// when scalar, on the low lane of XMM registers (loads and stores move one
// element; the packed instructions compute the unused lanes on zeros, which
// is harmless).
type vk struct {
	isa    isaT
	e      elem
	scalar bool
}

func (k vk) lanes() int {
	if k.scalar {
		return 1
	}
	return k.isa.lanes(k.e)
}

func (k vk) reg() VecVirtual {
	if k.scalar {
		return XMM()
	}
	return k.isa.vecReg()
}

// c views a broadcast constant at this width.
func (k vk) c(r VecVirtual) Op {
	if k.scalar {
		return r.AsX()
	}
	return r
}

func (k vk) f64() bool { return k.e.size == 8 }

func (k vk) load(m Mem) VecVirtual {
	r := k.reg()
	switch {
	case k.scalar && k.f64():
		VMOVSD(m, r)
	case k.scalar:
		VMOVSS(m, r)
	case k.f64():
		VMOVUPD(m, r)
	default:
		VMOVUPS(m, r)
	}
	return r
}

func (k vk) store(r Op, m Mem) {
	switch {
	case k.scalar && k.f64():
		VMOVSD(r, m)
	case k.scalar:
		VMOVSS(r, m)
	case k.f64():
		VMOVUPD(r, m)
	default:
		VMOVUPS(r, m)
	}
}

// The operations below return a new register holding the result, rounded to
// the element type. Operand order follows the Go expression in the comment;
// Go assembly lists the operands of the Intel form in reverse.

// binop returns op(a, b) in a new register: pd for float64, ps for float32.
func (k vk) binop(pd, ps func(...Op), a, b Op) VecVirtual {
	d := k.reg()
	if k.f64() {
		pd(b, a, d)
	} else {
		ps(b, a, d)
	}
	return d
}

// add returns a + b.
func (k vk) add(a, b Op) VecVirtual { return k.binop(VADDPD, VADDPS, a, b) }

// sub returns a − b.
func (k vk) sub(a, b Op) VecVirtual { return k.binop(VSUBPD, VSUBPS, a, b) }

// mul returns a · b.
func (k vk) mul(a, b Op) VecVirtual { return k.binop(VMULPD, VMULPS, a, b) }

// div returns a / b.
func (k vk) div(a, b Op) VecVirtual { return k.binop(VDIVPD, VDIVPS, a, b) }

// sqrt returns the correctly rounded square root of a.
func (k vk) sqrt(a Op) VecVirtual {
	d := k.reg()
	if k.f64() {
		VSQRTPD(a, d)
	} else {
		VSQRTPS(a, d)
	}
	return d
}

// maxProp returns a > b ? a : b, or a where a is NaN: NaN if either is NaN.
// VMAXP with a first gives a > b ? a : b (b when either is NaN); the blend
// puts a back where a is unordered with itself.
func (k vk) maxProp(a, b Op) VecVirtual {
	t, nan, d := k.reg(), k.reg(), k.reg()
	if k.isa.width == 64 && !k.scalar {
		// AVX-512: the unordered compare gives a mask register, and the
		// blend takes a where the mask is set.
		m := K()
		if k.f64() {
			VMAXPD(b, a, t)
			VCMPPD(U8(3), a, a, m)
			VBLENDMPD(a, t, m, d)
		} else {
			VMAXPS(b, a, t)
			VCMPPS(U8(3), a, a, m)
			VBLENDMPS(a, t, m, d)
		}
		return d
	}
	if k.f64() {
		VMAXPD(b, a, t)
		VCMPPD(U8(3), a, a, nan) // unordered: a is NaN
		VBLENDVPD(nan, a, t, d)
	} else {
		VMAXPS(b, a, t)
		VCMPPS(U8(3), a, a, nan)
		VBLENDVPS(nan, a, t, d)
	}
	return d
}

// Compare predicates.
const (
	cmpLT    = 0x11 // less than, ordered, quiet
	cmpUnord = 0x03 // unordered
	cmpGT    = 0x1e // greater than, ordered, quiet
)

// sign returns +1 where a > 0, −1 where a < 0, +0 where a is ±0 and a itself
// where a is NaN.
func (k vk) sign(a Op, c *signConsts) VecVirtual {
	if k.isa.width == 64 && !k.scalar {
		// AVX-512F has no VANDPS on ZMM: blend the constants by masks.
		pos, neg, nan := K(), K(), K()
		r1, r2, d := k.reg(), k.reg(), k.reg()
		cmp, blend := VCMPPS, VBLENDMPS
		if k.f64() {
			cmp, blend = VCMPPD, VBLENDMPD
		}
		cmp(U8(cmpGT), c.zero, a, pos)
		cmp(U8(cmpLT), c.zero, a, neg)
		cmp(U8(cmpUnord), a, a, nan)
		blend(c.one, c.zero, pos, r1) // r1 = a > 0 ? 1 : 0
		blend(c.neg, r1, neg, r2)     // r2 = a < 0 ? −1 : r1
		blend(a, r2, nan, d)          // d = a is NaN ? a : r2
		return d
	}
	pos, neg, nan := k.reg(), k.reg(), k.reg()
	cmp, and, blend := VCMPPS, VANDPS, VBLENDVPS
	if k.f64() {
		cmp, and, blend = VCMPPD, VANDPD, VBLENDVPD
	}
	cmp(U8(cmpGT), k.c(c.zero), a, pos) // pos = a > 0 (all ones)
	cmp(U8(cmpLT), k.c(c.zero), a, neg) // neg = a < 0
	cmp(U8(cmpUnord), a, a, nan)        // nan = a is NaN
	p1, n1 := k.reg(), k.reg()
	and(k.c(c.one), pos, p1) // p1 = a > 0 ? 1 : +0
	and(k.c(c.one), neg, n1) // n1 = a < 0 ? 1 : +0
	r := k.sub(p1, n1)       // r = p1 − n1: 1, −1 or +0
	d := k.reg()
	blend(nan, a, r, d) // d = a is NaN ? a : r
	return d
}

// prefetchDistance is how far ahead of the loads, in bytes, the main loops
// prefetch each slice. The hardware prefetchers alone leave Adam about 15 %
// short of a plain C loop on slices larger than the caches; with this they
// reach it (2–4 KiB measured alike on a Sapphire Rapids core).
const prefetchDistance = 2048

// prefetch emits one PREFETCHT0 per 64-byte line of the bytes an iteration
// reads from each slice, prefetchDistance ahead. A prefetch never faults and
// is not an architectural read, so prefetching past a slice's end is safe.
func prefetch(bytes int, at func(Register) Mem, slices []Register) {
	for _, r := range slices {
		for off := 0; off < max(bytes, 64); off += 64 {
			a := at(r)
			a.Disp += prefetchDistance + off
			PREFETCHT0(a)
		}
	}
}

// loops emits the loops of an elementwise kernel over n elements: U
// registers per iteration while that many remain (prefetching the slices in
// pf), then one register at a time, then one element at a time. body emits
// the work for one register (or element) given an address function for each
// slice. Labels take prefix.
func loops(x isaT, prefix string, e elem, U int, n Register, pf []Register, body func(k vk, at func(base Register) Mem)) {
	i, t := GP64(), GP64()
	XORQ(i, i)
	W := x.lanes(e)
	at := func(k vk, u int) func(Register) Mem {
		return func(base Register) Mem {
			return Mem{Base: base, Index: i, Scale: uint8(e.size), Disp: u * W * e.size}
		}
	}
	if U > 1 {
		Label(prefix + "loop")
		LEAQ(Mem{Base: i, Disp: U * W}, t)
		CMPQ(t, n)
		JA(LabelRef(prefix + "vec"))
		prefetch(U*x.width, at(vk{isa: x, e: e}, 0), pf)
		for u := 0; u < U; u++ {
			body(vk{isa: x, e: e}, at(vk{isa: x, e: e}, u))
		}
		MOVQ(t, i)
		JMP(LabelRef(prefix + "loop"))
	}
	Label(prefix + "vec")
	LEAQ(Mem{Base: i, Disp: W}, t)
	CMPQ(t, n)
	JA(LabelRef(prefix + "tail"))
	if U == 1 {
		prefetch(x.width, at(vk{isa: x, e: e}, 0), pf)
	}
	body(vk{isa: x, e: e}, at(vk{isa: x, e: e}, 0))
	MOVQ(t, i)
	JMP(LabelRef(prefix + "vec"))
	Label(prefix + "tail")
	CMPQ(i, n)
	JAE(LabelRef(prefix + "done"))
	body(vk{isa: x, e: e, scalar: true}, at(vk{isa: x, e: e, scalar: true}, 0))
	INCQ(i)
	JMP(LabelRef(prefix + "tail"))
	Label(prefix + "done")
	VZEROUPPER()
	RET()
}
