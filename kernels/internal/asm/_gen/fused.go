package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/descent-go/descent/kernels/internal/asm/_gen/spec"
)

// Fused storage lowerings. A mixed-storage step (kernels.Mixed) converts
// each block of 256 elements into float32 scratch, runs the kernel and
// converts back, one call per conversion. For the configurations below the
// block is instead handled by one function: each register of elements is
// loaded in its storage format (16-bit gradients widened, 8-bit codes
// decoded and scaled) straight into the kernel's body — the description of
// package spec, lowered by the same emitter as the float32 kernels — and
// stored in its format (the master weights rounded to their 16-bit copy in
// the same register pass; the new moments to scratch, their block maximum
// kept in a register), then the block's moments are encoded with the new
// maximum in a second pass over the scratch, which is in L1. The
// arithmetic, the conversions and their order are those of the staged
// path, so the results are its bits; the Go side runs whole blocks here and
// the rest (a last partial block) through the staged path.

// fusedCfg is a storage configuration with a fused lowering: every state
// stream 8-bit, the gradient float32 (half false) or bfloat16 with a
// bfloat16 copy of the parameters (half true).
type fusedCfg struct {
	name string
	half bool
}

var fusedCfgs = []fusedCfg{{"Q8", false}, {"Q8BF16", true}}

// fusedKernels are the kernels with fused lowerings, with the map of each
// state stream (signed first moments, unsigned second moments).
var fusedKernels = []struct {
	name   string
	signed []bool
}{{"Adam", []bool{true, false}}, {"Lion", []bool{true}}}

const q8Block = 256

// q8m is one 8-bit map: the exponent bias B and the largest magnitude code.
type q8m struct {
	bias, max uint32
	signed    bool
}

func q8mOf(signed bool) q8m {
	if signed {
		return q8m{15, 0x7f, true}
	}
	return q8m{31, 0xff, false}
}

// fusedName is the function's name.
func fusedName(k string, cfg fusedCfg, x isaT) string { return k + cfg.name + x.name }

// The argument vector a of a fused function: a[0] the parameters (float32),
// a[1] the gradient (float32 or bfloat16), a[2] the bfloat16 copy (or 0),
// then per state stream its codes, its block maxima and a float32 scratch
// block of 256.
const (
	argP = iota
	argG
	argCopy
	argState
)

// fvk adds the fused lowering's emitters to vk (vector width only).
type fvk struct{ vk }

// constMems holds the read-only vectors of 32-bit constants, by width and
// value.
var constMems = map[[2]uint32]Mem{}

// bc returns a read-only vector of the ISA's width holding v in every
// 32-bit lane, as a memory operand: the constants take no registers
// (AVX2's sixteen are the kernel's).
func (f *fvk) bc(v uint32) Mem {
	key := [2]uint32{uint32(f.isa.width), v}
	if m, ok := constMems[key]; ok {
		return m
	}
	m := GLOBL(fmt.Sprintf("fused%d_%08x", f.isa.width, v), RODATA|NOPTR)
	for i := 0; i < f.isa.width; i += 4 {
		DATA(i, U32(uint64(v)))
	}
	constMems[key] = m
	return m
}

// decode returns the values of the 8-bit codes at m (one register of
// elements) in map q, times d.
func (f *fvk) decode(m Mem, q q8m, d VecVirtual) VecVirtual {
	x := f.isa
	c := x.vecReg()
	VPMOVZXBD(m, c)
	a := c
	if q.signed {
		a = x.vecReg()
		vpand(x, f.bc(0x7f), c, a)
	}
	norm := x.vecReg()
	VPADDD(f.bc((127-q.bias)<<3), a, norm)
	VPSLLD(U8(20), norm, norm)
	sub := x.vecReg()
	VCVTDQ2PS(a, sub)
	VMULPS(f.bc((127-q.bias-2)<<23), sub, sub)
	v := x.vecReg()
	if is512(x) {
		k := K()
		VPCMPUD(U8(pLT), f.bc(8), a, k) // a < 8: a subnormal code
		VBLENDMPS(sub, norm, k, v)
	} else {
		ge := x.vecReg()
		VPCMPGTD(f.bc(7), a, ge) // a > 7: a normal code
		VBLENDVPS(ge, norm, sub, v)
	}
	VMULPS(d, v, v)
	if q.signed {
		s := x.vecReg()
		vpand(x, f.bc(0x80), c, s)
		VPSLLD(U8(24), s, s)
		vpxor(x, s, v, v)
	}
	return v
}

// encode returns the codes (one per 32-bit lane) of the values v in map q
// with the block's encoding factor qs.
func (f *fvk) encode(m Mem, q q8m, qs VecVirtual) VecVirtual {
	x := f.isa
	v := x.vecReg()
	VMOVUPS(m, v)
	y := x.vecReg()
	vpand(x, f.bc(0x7fffffff), v, y)
	VMULPS(qs, y, y)
	s := x.vecReg()
	VMULPS(f.bc((127+q.bias+2)<<23), y, s)
	VCVTPS2DQ(s, s)
	t, r := x.vecReg(), x.vecReg()
	VPSRLD(U8(20), y, t)
	vpand(x, f.bc(1), t, t)
	VPADDD(f.bc(0x7ffff), t, t)
	VPADDD(y, t, t)
	VPSRLD(U8(20), t, t)
	VPSUBD(f.bc((127-q.bias)<<3), t, r)
	thr := f.bc((128 - q.bias) << 23)
	c := x.vecReg()
	if is512(x) {
		k := K()
		VCMPPS(U8(cmpLT), thr, y, k) // y < 2^(1−B), false for NaN
		VPBLENDMD(s, r, k, c)
	} else {
		lt := x.vecReg()
		VCMPPS(U8(cmpLT), thr, y, lt)
		VBLENDVPS(lt, s, r, c)
	}
	VPMINUD(f.bc(q.max), c, c)
	if q.signed {
		sg := x.vecReg()
		VPSRLD(U8(24), v, sg)
		vpand(x, f.bc(0x80), sg, sg)
		vpor(x, sg, c, c)
	}
	return c
}

// narrowBF16 stores p rounded to bfloat16 at m.
func (f *fvk) narrowBF16(p VecVirtual, m Mem) {
	x := f.isa
	t, r := x.vecReg(), x.vecReg()
	VPSRLD(U8(16), p, t)
	vpand(x, f.bc(1), t, t)
	VPADDD(f.bc(0x7fff), t, t)
	VPADDD(p, t, t)
	VPSRLD(U8(16), t, r)
	n := x.vecReg()
	VPSRLD(U8(16), p, n)
	vpor(x, f.bc(0x40), n, n)
	d := x.vecReg()
	if is512(x) {
		k := K()
		VCMPPS(U8(cmpUnord), p, p, k)
		VPBLENDMD(n, r, k, d)
		VPMOVDW(d, m)
		return
	}
	nan := x.vecReg()
	VCMPPS(U8(cmpUnord), p, p, nan)
	VBLENDVPS(nan, n, r, d)
	VPACKUSDW(d, d, d)
	VPERMQ(U8(0x08), d, d)
	VMOVDQU(d.AsX(), m)
}

func vpand(x isaT, a, b Op, d VecVirtual) {
	if is512(x) {
		VPANDD(a, b, d)
	} else {
		VPAND(a, b, d)
	}
}

func vpor(x isaT, a, b Op, d VecVirtual) {
	if is512(x) {
		VPORD(a, b, d)
	} else {
		VPOR(a, b, d)
	}
}

func vpxor(x isaT, a, b Op, d VecVirtual) {
	if is512(x) {
		VPXORD(a, b, d)
	} else {
		VPXOR(a, b, d)
	}
}

// fusedFn emits kernel k's fused lowering for cfg on ISA x: nblk whole
// blocks of 256 elements.
func fusedFn(x isaT, k *spec.Kernel, signed []bool, cfg fusedCfg) {
	name := fusedName(k.Name, cfg, x)
	ns := len(signed)
	text(name, fmt.Sprintf("(nblk int, a *[%d]uintptr, c [%d]float32, flags uint64)", argState+3*ns, len(k.Slots)),
		fmt.Sprintf("%s runs %s (%s in package kernels) over nblk blocks of 256", name, k.Name, k.Ref),
		fmt.Sprintf("elements with 8-bit state%s, as the staged mixed step does:", map[bool]string{true: ", bfloat16 gradients and a bfloat16 copy", false: ""}[cfg.half]),
		"a[0] parameters, a[1] gradient, a[2] copy, then per state stream its codes,",
		"block maxima and a 256-element float32 scratch block.")
	nblk := Load(Param("nblk"), GP64())
	aptr := Load(Param("a"), GP64())
	flags := Load(Param("flags"), GP64())
	load := func(i int) Register {
		r := GP64()
		MOVQ(Mem{Base: aptr, Disp: 8 * i}, r)
		return r
	}
	p, g := load(argP), load(argG)
	var cp Register
	if cfg.half {
		cp = load(argCopy)
	}
	codes, maxima, scratch := make([]Register, ns), make([]Register, ns), make([]Mem, ns)
	sbase := load(argState + 2)
	for j := range ns {
		codes[j], maxima[j] = load(argState+3*j), load(argState+3*j+1)
		// the scratch blocks follow each other (kernels.Scratch)
		scratch[j] = Mem{Base: sbase, Disp: 4 * q8Block * j}
	}
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
	W := x.lanes(f32)
	f := &fvk{vk: vk{isa: x, e: f32}}
	for si, s := range sets {
		prefix := fmt.Sprintf("v%d_", s)
		if si > 0 {
			Label(prefix)
		}
		plan := b.Resolve(s)
		// AVX-512 keeps the coefficients in registers (it has 32); AVX2
		// broadcasts each from the argument where it is used.
		C := map[int]VecVirtual{}
		if is512(x) {
			for _, sl := range plan.Slots {
				C[sl] = broadcastSlot(x, f32, sl)
			}
		}
		slot := func(sl int) VecVirtual {
			if r, ok := C[sl]; ok {
				return r
			}
			return broadcastSlot(x, f32, sl)
		}
		var kc *signConsts
		for _, nd := range plan.Order {
			if b.Nodes[nd].Op == spec.OpSign && kc == nil {
				kc = newSignConsts(x, f32)
			}
		}
		blk := GP64()
		XORQ(blk, blk)
		Label(prefix + "block")
		CMPQ(blk, nblk)
		JAE(LabelRef(prefix + "done"))
		// the decoding factors d = A/Top of the blocks' maxima
		d := make([]VecVirtual, ns)
		acc := make([]VecVirtual, ns)
		for j := range ns {
			xr := XMM()
			VMOVSS(Mem{Base: maxima[j], Index: blk, Scale: 4}, xr)
			VDIVSS(xconst(q8Top), xr, xr)
			d[j] = x.vecReg()
			VBROADCASTSS(xr, d[j])
			acc[j] = x.vecReg()
			vpxor(x, acc[j], acc[j], acc[j])
		}
		// pass 1: the kernel over the block, one register at a time
		i := GP64()
		XORQ(i, i)
		Label(prefix + "p1")
		PREFETCHT0(Mem{Base: p, Index: i, Scale: 4, Disp: prefetchDistance})
		PREFETCHT0(Mem{Base: g, Index: i, Scale: 4, Disp: prefetchDistance})
		val := map[int]VecVirtual{}
		for _, n := range plan.Loads {
			st := b.Nodes[n].Stream
			switch {
			case st == 0:
				val[n] = f.load(Mem{Base: p, Index: i, Scale: 4})
			case st == 1 && cfg.half:
				r := x.vecReg()
				VPMOVZXWD(Mem{Base: g, Index: i, Scale: 2}, r)
				VPSLLD(U8(16), r, r)
				val[n] = r
			case st == 1:
				val[n] = f.load(Mem{Base: g, Index: i, Scale: 4})
			default:
				j := st - 2
				val[n] = f.decode(Mem{Base: codes[j], Index: i, Scale: 1}, q8mOf(signed[j]), d[j])
			}
		}
		f.ops(plan, val, slot, kc)
		for _, st := range plan.Stores {
			v, ok := val[st.Value]
			if !ok {
				panic(name + ": a store of a value not computed")
			}
			switch {
			case st.Stream == 0:
				f.store(v, Mem{Base: p, Index: i, Scale: 4})
				if cfg.half {
					f.narrowBF16(v, Mem{Base: cp, Index: i, Scale: 2})
				}
			case st.Stream >= 2:
				j := st.Stream - 2
				m := scratch[j]
				m.Index, m.Scale = i, 4
				f.store(v, m)
				t := x.vecReg()
				vpand(x, f.bc(0x7fffffff), v, t)
				VPMAXUD(t, acc[j], acc[j])
			default:
				panic(name + ": the gradient stored")
			}
		}
		ADDQ(U8(W), i)
		CMPQ(i, U32(q8Block))
		JB(LabelRef(prefix + "p1"))
		// the blocks' new maxima (the quiet NaN 0x7fc00000 if any element
		// is NaN: the largest encoding), the encoding factors
		// q = A > 0 ? Top/A : 0, and pass 2: the codes
		for j := range ns {
			m := hmaxU32(x, acc[j])
			enc := fmt.Sprintf("%ss%d_", prefix, j)
			qs := XMM()
			VXORPS(qs, qs, qs)
			CMPL(m, U32(0x7f800000))
			JBE(LabelRef(enc + "finite"))
			MOVL(U32(0x7fc00000), m)
			Label(enc + "finite")
			MOVL(m, Mem{Base: maxima[j], Index: blk, Scale: 4})
			TESTL(m, m)
			JZ(LabelRef(enc + "q"))
			CMPL(m, U32(0x7f800000))
			JA(LabelRef(enc + "q"))
			am := XMM()
			VMOVD(m, am)
			VDIVSS(am, xconst(q8Top), qs)
			Label(enc + "q")
			q := x.vecReg()
			VBROADCASTSS(qs, q)
			ii := GP64()
			XORQ(ii, ii)
			Label(enc + "p2")
			qm := q8mOf(signed[j])
			at := func(u int) Mem {
				m := scratch[j]
				m.Index, m.Scale, m.Disp = ii, 4, m.Disp+4*u*W
				return m
			}
			if is512(x) {
				for u := range 4 {
					c := f.encode(at(u), qm, q)
					VPMOVDB(c, Mem{Base: codes[j], Index: ii, Scale: 1, Disp: u * W})
				}
			} else {
				var cs [4]VecVirtual
				for u := range 4 {
					cs[u] = f.encode(at(u), qm, q)
				}
				VPACKUSDW(cs[1], cs[0], cs[0])
				VPACKUSDW(cs[3], cs[2], cs[2])
				VPACKUSWB(cs[2], cs[0], cs[0])
				perm := x.vecReg()
				VMOVDQU(permIdx(), perm)
				VPERMD(cs[0], perm, cs[0])
				VMOVDQU(cs[0], Mem{Base: codes[j], Index: ii, Scale: 1})
			}
			ADDQ(U8(4*W), ii)
			CMPQ(ii, U32(q8Block))
			JB(LabelRef(enc + "p2"))
		}
		// the next block
		ADDQ(U32(4*q8Block), p)
		if cfg.half {
			ADDQ(U32(2*q8Block), g)
			ADDQ(U32(2*q8Block), cp)
		} else {
			ADDQ(U32(4*q8Block), g)
		}
		for j := range ns {
			ADDQ(U32(q8Block), codes[j])
		}
		INCQ(blk)
		JMP(LabelRef(prefix + "block"))
		Label(prefix + "done")
		VZEROUPPER()
		RET()
	}
}

// q8Top is kernels.Q8Top, 1.875, as float32 bits.
const q8Top = 0x3ff00000

// ops emits the plan's arithmetic (every node of plan.Order) on registers;
// slot(i) gives coefficient slot i in a register.
func (f *fvk) ops(plan *spec.Plan, val map[int]VecVirtual, slot func(int) VecVirtual, kc *signConsts) {
	b := plan.B
	get := func(n int) VecVirtual {
		nd := &b.Nodes[n]
		if nd.Op == spec.OpSlot {
			return slot(nd.Slot)
		}
		v, ok := val[n]
		if !ok {
			panic(fmt.Sprintf("%s: node %d used before it is computed", b.K.Name, n))
		}
		return v
	}
	k := f.vk
	for _, n := range plan.Order {
		nd := &b.Nodes[n]
		a := plan.Args(n)
		switch nd.Op {
		case spec.OpAdd:
			val[n] = k.add(get(a[0]), get(a[1]))
		case spec.OpSub:
			val[n] = k.sub(get(a[0]), get(a[1]))
		case spec.OpMul:
			val[n] = k.mul(get(a[0]), get(a[1]))
		case spec.OpMulUnit:
			val[n] = k.mul(get(a[0]), slot(nd.Slot))
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
	// a store of a slot or a load (none today) would need its register
	for _, st := range plan.Stores {
		if _, ok := val[st.Value]; !ok {
			val[st.Value] = get(st.Value)
		}
	}
}

// xconst returns an XMM register holding the float32 bits v in its low lane.
func xconst(v uint32) VecVirtual {
	t, xr := GP32(), XMM()
	MOVL(U32(uint64(v)), t)
	VMOVD(t, xr)
	return xr
}

var permMem *Mem

// permIdx returns the dword permutation that puts the bytes of two
// VPACKUSDW and one VPACKUSWB of four registers (32 codes) in order: the
// packs interleave the registers' 128-bit halves.
func permIdx() Mem {
	if permMem == nil {
		m := GLOBL("fusedperm", RODATA|NOPTR)
		for i, v := range []uint64{0, 4, 1, 5, 2, 6, 3, 7} {
			DATA(4*i, U32(v))
		}
		permMem = &m
	}
	return *permMem
}

// hmaxU32 returns in a GP register the unsigned maximum of acc's lanes.
func hmaxU32(x isaT, acc VecVirtual) Register {
	y := acc
	if is512(x) {
		h := YMM()
		VEXTRACTI64X4(U8(1), acc, h)
		y = YMM()
		VPMAXUD(h, acc.AsY(), y)
	}
	lo, h := y.AsX(), XMM()
	VEXTRACTI128(U8(1), y, h)
	VPMAXUD(h, lo, lo)
	VPSHUFD(U8(0x4e), lo, h)
	VPMAXUD(h, lo, lo)
	VPSHUFD(U8(0xb1), lo, h)
	VPMAXUD(h, lo, lo)
	m := GP32()
	VMOVD(lo, m)
	return m
}

// fusedTable is the Go text that sets the fused table of each ISA.
func fusedTable(isas []isaT) string {
	var b strings.Builder
	b.WriteString("func init() {\n")
	for _, x := range isas {
		fmt.Fprintf(&b, "\tFused%s = &Fused{\n", x.name)
		for _, k := range fusedKernels {
			for _, cfg := range fusedCfgs {
				fmt.Fprintf(&b, "\t\t%s%s: %s,\n", k.name, cfg.name, fusedName(k.name, cfg, x))
			}
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("}\n")
	return b.String()
}
