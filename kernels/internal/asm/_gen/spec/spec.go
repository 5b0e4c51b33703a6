// Package spec describes descent's elementwise kernels once: the slices they
// stream, the coefficient slots they read, the flags that select variants
// and a body written in a small set of IEEE operations. The generators lower
// every description to AVX2, AVX-512 and NEON assembly; this package also
// writes the slot layout, the dispatch table type and the catalog that
// package kernels, its tests, the fuzz targets and the benchmarks iterate.
//
// A body is a graph of values built through a B: loads of streams,
// coefficient slots, arithmetic, and selections If(flag, a, b) that a
// variant resolves at generation time. Stores write values to streams,
// unconditionally or under a flag. Every operation is one IEEE operation
// rounded to the element type (no fused multiply-add), in the order the
// graph gives; the hand-written reference in package kernels performs the
// same operations in the same order, and a test compares the two.
package spec

import (
	"fmt"
	"sort"
	"strings"
)

// Flag is a variant bit of the kernels' flags argument.
type Flag struct {
	Bit  uint64
	Name string // FlagName without the prefix, e.g. "L2"
	Doc  string
}

// The variant flags. A flag that changes the arithmetic selects a loop of
// its own; UnitScale is the one speed-only flag (see Kernel.UnitScale).
var (
	L2        = Flag{1, "L2", "add the weight-decay term to the gradient (or update)"}
	Nesterov  = Flag{2, "Nesterov", "Nesterov momentum"}
	First     = Flag{4, "First", "first momentum step: the buffer takes the gradient"}
	UnitScale = Flag{8, "UnitScale", "the gradient scale is exactly 1: its multiply is skipped (x·1 = x)"}
	Centered  = Flag{16, "Centered", "RMSprop: divide by the centered second moment (keeps the gradient average)"}
	Momentum  = Flag{32, "Momentum", "RMSprop: keep a momentum buffer"}
)

// Flags lists every flag, in bit order.
var Flags = []Flag{L2, Nesterov, First, UnitScale, Centered, Momentum}

// Stream is one slice argument of a kernel.
type Stream struct {
	Name string
	Doc  string
	When Flag // the zero Flag: always used; otherwise used only in variants with this flag
}

// Kernel is the description of one elementwise kernel.
type Kernel struct {
	Name    string   // "Adam"; the assembly is <Name><ISA><F32|F64>
	Summary string   // one line: what it computes
	Ref     string   // the reference function in package kernels
	Streams []Stream // the slice arguments, in order; the first one's length is the loop count
	Slots   []string // the coefficient slots, in order
	Variant []Flag   // the flags that select loops (each combination gets one)
	Unroll  int      // vector registers per stream per iteration of the AVX main loop
	Body    func(b *B)

	// Typical is a typical coefficient vector, one value per slot, and
	// TypicalFlags the variant it selects: what benchmarks run.
	Typical      []float64
	TypicalFlags []Flag
}

// Op is an operation of the body graph.
type Op uint8

// Operations. Each is one IEEE operation rounded to the element type, or a
// selection.
const (
	OpLoad    Op = iota + 1 // stream's element
	OpSlot                  // a coefficient slot, broadcast
	OpAdd                   // a + b
	OpSub                   // a − b
	OpMul                   // a · b
	OpDiv                   // a / b
	OpSqrt                  // sqrt(a), correctly rounded
	OpMaxNaN                // a > b || a is NaN ? a : b
	OpSign                  // +1, −1 or +0 by the sign of a; a when a is NaN
	OpIf                    // flag ? a : b, resolved per variant
	OpMulUnit               // a · slot, or a when the variant has UnitScale
)

// Node is one value of the body graph.
type Node struct {
	Op     Op
	Args   []int // operand node indices
	Stream int   // OpLoad: index into Kernel.Streams
	Slot   int   // OpSlot, OpMulUnit: index into Kernel.Slots
	Flag   Flag  // OpIf
	Name   string
}

// Stmt is a statement of the body, in order: a store, or a named binding
// (for the documentation only).
type Stmt struct {
	Store  int  // index into Kernel.Streams, or −1 for a binding
	When   Flag // a store under a flag
	Value  int  // node index
	Rebind bool // a binding that reuses an earlier name
}

// B builds a body graph.
type B struct {
	K     *Kernel
	Nodes []Node
	Stmts []Stmt
	loads map[int]int
	names map[string]bool
}

// V is a value of the body graph.
type V struct{ n int }

func (b *B) node(n Node) V {
	b.Nodes = append(b.Nodes, n)
	return V{len(b.Nodes) - 1}
}

func (b *B) stream(name string) int {
	for i, s := range b.K.Streams {
		if s.Name == name {
			return i
		}
	}
	panic(fmt.Sprintf("spec: %s: no stream %q", b.K.Name, name))
}

func (b *B) slot(name string) int {
	for i, s := range b.K.Slots {
		if s == name {
			return i
		}
	}
	panic(fmt.Sprintf("spec: %s: no slot %q", b.K.Name, name))
}

// Load returns the element of stream name (read once, before any store).
func (b *B) Load(name string) V {
	s := b.stream(name)
	if n, ok := b.loads[s]; ok {
		return V{n}
	}
	v := b.node(Node{Op: OpLoad, Stream: s})
	b.loads[s] = v.n
	return v
}

// C returns coefficient slot name.
func (b *B) C(name string) V { return b.node(Node{Op: OpSlot, Slot: b.slot(name)}) }

func (b *B) Add(x, y V) V    { return b.node(Node{Op: OpAdd, Args: []int{x.n, y.n}}) }
func (b *B) Sub(x, y V) V    { return b.node(Node{Op: OpSub, Args: []int{x.n, y.n}}) }
func (b *B) Mul(x, y V) V    { return b.node(Node{Op: OpMul, Args: []int{x.n, y.n}}) }
func (b *B) Div(x, y V) V    { return b.node(Node{Op: OpDiv, Args: []int{x.n, y.n}}) }
func (b *B) Sqrt(x V) V      { return b.node(Node{Op: OpSqrt, Args: []int{x.n}}) }
func (b *B) Sign(x V) V      { return b.node(Node{Op: OpSign, Args: []int{x.n}}) }
func (b *B) MaxNaN(x, y V) V { return b.node(Node{Op: OpMaxNaN, Args: []int{x.n, y.n}}) }

// If is x in the variants with flag f and y in the others.
func (b *B) If(f Flag, x, y V) V { return b.node(Node{Op: OpIf, Args: []int{x.n, y.n}, Flag: f}) }

// MulUnit is x·slot, or x itself in variants with UnitScale.
func (b *B) MulUnit(x V, slot string) V {
	return b.node(Node{Op: OpMulUnit, Args: []int{x.n}, Slot: b.slot(slot)})
}

// Let names v in the documentation.
func (b *B) Let(name string, v V) V {
	rebind := b.names[name]
	b.names[name] = true
	b.Nodes[v.n].Name = name
	b.Stmts = append(b.Stmts, Stmt{Store: -1, Value: v.n, Rebind: rebind})
	return v
}

// Store writes v to stream name.
func (b *B) Store(name string, v V) {
	b.Stmts = append(b.Stmts, Stmt{Store: b.stream(name), Value: v.n})
}

// StoreIf writes v to stream name in the variants with flag f.
func (b *B) StoreIf(f Flag, name string, v V) {
	b.Stmts = append(b.Stmts, Stmt{Store: b.stream(name), When: f, Value: v.n})
}

// Build returns the body graph of k.
func (k *Kernel) Build() *B {
	b := &B{K: k, loads: map[int]int{}, names: map[string]bool{}}
	k.Body(b)
	return b
}

// Set is a combination of variant flags.
type Set uint64

// Has reports whether the set holds f.
func (s Set) Has(f Flag) bool { return uint64(s)&f.Bit != 0 }

// Sets returns every combination of k's variant flags, the empty one first.
func (k *Kernel) Sets() []Set {
	var out []Set
	for v := 0; v < 1<<len(k.Variant); v++ {
		var s Set
		for j, f := range k.Variant {
			if v&(1<<j) != 0 {
				s |= Set(f.Bit)
			}
		}
		out = append(out, s)
	}
	return out
}

// VariantMask is the OR of k's variant flags.
func (k *Kernel) VariantMask() uint64 {
	var m uint64
	for _, f := range k.Variant {
		m |= f.Bit
	}
	return m
}

// Plan is a body resolved for one variant: the operations to emit, in
// order, with every selection gone.
type Plan struct {
	B      *B
	Set    Set
	Loads  []int   // load nodes, in stream order: emitted first
	Order  []int   // the other nodes, in evaluation order (operands first)
	Stores []Store // in statement order
	Alias  map[int]int
	Slots  []int // slots used, in slot order
	Uses   map[int]int
	Last   map[int]int // node → position in Order (or −1 for the loads block) of its last use; stores count as uses at the end
}

// Store is a resolved store.
type Store struct{ Stream, Value int }

// Resolve plans the body for the variant set s.
func (b *B) Resolve(s Set) *Plan {
	p := &Plan{B: b, Set: s, Alias: map[int]int{}, Uses: map[int]int{}, Last: map[int]int{}}
	// res follows selections and unit multiplies to the node computed.
	var res func(n int) int
	res = func(n int) int {
		nd := &b.Nodes[n]
		switch {
		case nd.Op == OpIf && s.Has(nd.Flag):
			return res(nd.Args[0])
		case nd.Op == OpIf:
			return res(nd.Args[1])
		case nd.Op == OpMulUnit && s.Has(UnitScale):
			return res(nd.Args[0])
		}
		return n
	}
	seen := map[int]bool{}
	loads := map[int]bool{}
	slots := map[int]bool{}
	var visit func(n int) int
	visit = func(n int) int {
		n = res(n)
		if seen[n] {
			return n
		}
		seen[n] = true
		nd := &b.Nodes[n]
		switch nd.Op {
		case OpLoad:
			loads[n] = true
			return n
		case OpSlot:
			slots[nd.Slot] = true
			return n
		case OpMulUnit:
			slots[nd.Slot] = true
		}
		for _, a := range nd.Args {
			r := visit(a)
			p.Uses[r]++
		}
		p.Order = append(p.Order, n)
		return n
	}
	for _, st := range b.Stmts {
		if st.Store < 0 || (st.When.Bit != 0 && !s.Has(st.When)) {
			continue
		}
		v := visit(st.Value)
		p.Uses[v]++
		p.Stores = append(p.Stores, Store{st.Store, v})
	}
	for n := range loads {
		p.Loads = append(p.Loads, n)
	}
	sort.Slice(p.Loads, func(i, j int) bool { return b.Nodes[p.Loads[i]].Stream < b.Nodes[p.Loads[j]].Stream })
	for sl := range slots {
		p.Slots = append(p.Slots, sl)
	}
	sort.Ints(p.Slots)
	for i, n := range p.Order {
		for _, a := range p.Args(n) {
			p.Last[a] = i
		}
	}
	for _, st := range p.Stores {
		p.Last[st.Value] = len(p.Order)
	}
	return p
}

// Args returns node n's operands, resolved for the plan's variant.
func (p *Plan) Args(n int) []int {
	nd := &p.B.Nodes[n]
	out := make([]int, len(nd.Args))
	for i, a := range nd.Args {
		out[i] = p.resolve(a)
	}
	return out
}

func (p *Plan) resolve(n int) int {
	for {
		nd := &p.B.Nodes[n]
		switch {
		case nd.Op == OpIf && p.Set.Has(nd.Flag):
			n = nd.Args[0]
		case nd.Op == OpIf:
			n = nd.Args[1]
		case nd.Op == OpMulUnit && p.Set.Has(UnitScale):
			n = nd.Args[0]
		default:
			return n
		}
	}
}

// StreamUsed reports whether the variant reads or writes stream i.
func (p *Plan) StreamUsed(i int) bool { return p.Loaded(i) || p.Stored(i) }

// Loaded reports whether the variant reads stream i.
func (p *Plan) Loaded(i int) bool {
	for _, n := range p.Loads {
		if p.B.Nodes[n].Stream == i {
			return true
		}
	}
	return false
}

// Stored reports whether the variant writes stream i.
func (p *Plan) Stored(i int) bool {
	for _, st := range p.Stores {
		if st.Stream == i {
			return true
		}
	}
	return false
}

// Name of a flag in Go: FlagL2.
func (f Flag) GoName() string { return "Flag" + f.Name }

// Pseudo returns the body as pseudo-code, one loop over the first stream.
func (k *Kernel) Pseudo() []string {
	b := k.Build()
	stored := map[int]int{} // node → stream, after its store statement
	named := map[int]bool{}
	var expr func(n int, top bool) string
	atom := func(n int) bool {
		nd := &b.Nodes[n]
		if _, ok := stored[n]; ok || named[n] {
			return true
		}
		switch nd.Op {
		case OpLoad, OpSlot, OpSqrt, OpSign, OpMaxNaN:
			return true
		}
		return false
	}
	paren := func(n int) string {
		if atom(n) {
			return expr(n, false)
		}
		return "(" + expr(n, false) + ")"
	}
	expr = func(n int, top bool) string {
		nd := &b.Nodes[n]
		if s, ok := stored[n]; ok {
			return k.Streams[s].Name + "[i]"
		}
		if named[n] && !top {
			return nd.Name
		}
		a := nd.Args
		switch nd.Op {
		case OpLoad:
			return k.Streams[nd.Stream].Name + "[i]"
		case OpSlot:
			return "c[" + k.Name + k.Slots[nd.Slot] + "]"
		case OpAdd, OpSub:
			op := " + "
			if nd.Op == OpSub {
				op = " − "
			}
			r := expr(a[1], false)
			if o := b.Nodes[a[1]].Op; (o == OpAdd || o == OpSub) && !atom(a[1]) {
				r = "(" + r + ")"
			}
			return expr(a[0], false) + op + r
		case OpMul:
			return paren(a[0]) + "·" + paren(a[1])
		case OpDiv:
			return paren(a[0]) + " / " + paren(a[1])
		case OpSqrt:
			return "sqrt(" + expr(a[0], false) + ")"
		case OpSign:
			return "sign(" + expr(a[0], false) + ")"
		case OpMaxNaN:
			return "maxNaN(" + expr(a[0], false) + ", " + expr(a[1], false) + ")"
		case OpIf:
			return "(flags&" + nd.Flag.GoName() + " != 0 ? " + expr(a[0], false) + " : " + expr(a[1], false) + ")"
		case OpMulUnit:
			return paren(a[0]) + "·c[" + k.Name + k.Slots[nd.Slot] + "]"
		}
		panic("spec: bad op")
	}
	var out []string
	out = append(out, "for i := range "+k.Streams[0].Name+" {")
	for _, st := range b.Stmts {
		nd := &b.Nodes[st.Value]
		switch {
		case st.Store < 0 && nd.Op == OpIf && st.Rebind && named[nd.Args[1]] && b.Nodes[nd.Args[1]].Name == nd.Name:
			named[st.Value] = true
			out = append(out, fmt.Sprintf("	if flags&%s != 0 { %s = %s }", nd.Flag.GoName(), nd.Name, expr(nd.Args[0], false)))
		case st.Store < 0:
			op := " := "
			if st.Rebind {
				op = " = "
			}
			line := "	" + nd.Name + op + expr(st.Value, true)
			named[st.Value] = true
			if nd.Op == OpMulUnit {
				line += " (the multiply is skipped when flags&FlagUnitScale != 0: x·1 = x)"
			}
			out = append(out, line)
		default:
			line := "	" + k.Streams[st.Store].Name + "[i] = " + expr(st.Value, false)
			if st.When.Bit != 0 {
				line = fmt.Sprintf("	if flags&%s != 0 { %s }", st.When.GoName(), strings.TrimSpace(line))
			}
			out = append(out, line)
			stored[st.Value] = st.Store
		}
	}
	out = append(out, "}")
	return out
}
