package optim

import (
	"fmt"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/safetensors"
)

// Memory-lean storage: 16-bit parameters with float32 master weights,
// float64 parameters with float32 gradients, and 8-bit optimizer state.
// A tensor stored any of these ways is a mixedTensor: the rule's kernel
// runs over it through kernels' mixed-storage steps (kernels.Mixed), which
// convert each block of 256 elements into float32 (or float64) scratch and
// back while the block is in cache.

// StateFormat is how a group's optimizer state is stored.
type StateFormat uint8

const (
	// StateFull keeps the state in the parameters' compute type (float32
	// for 16-bit parameters).
	StateFull StateFormat = iota
	// State8Bit keeps each state tensor as blockwise 8-bit codes with one
	// float32 absolute maximum per 256 elements (kernels.Q8Map): about
	// 1.016 bytes per element and state tensor instead of 4.
	State8Bit
)

func (f StateFormat) String() string {
	switch f {
	case StateFull:
		return "full"
	case State8Bit:
		return "8bit"
	}
	return fmt.Sprintf("StateFormat(%d)", uint8(f))
}

// DefaultMin8Bit is the smallest tensor State8Bit quantizes by default:
// smaller ones (biases, norms) keep full-precision state, which costs
// little and keeps their updates exact.
const DefaultMin8Bit = 4096

// q8Min returns the group's smallest quantized tensor (0: none).
func (g *Group) q8Min() (int, error) {
	switch {
	case g.State == StateFull && g.Min8Bit == 0:
		return 0, nil
	case g.State == StateFull:
		return 0, fmt.Errorf("Min8Bit %d without State8Bit", g.Min8Bit)
	case g.State != State8Bit:
		return 0, fmt.Errorf("unknown state format %d", g.State)
	case g.Min8Bit < 0:
		return 0, fmt.Errorf("Min8Bit %d must be ≥ 0", g.Min8Bit)
	case g.Min8Bit == 0:
		return DefaultMin8Bit, nil
	}
	return g.Min8Bit, nil
}

// mixedFunc runs a tensor's kernel over elements [lo, hi) with scratch sc.
type mixedFunc func(lo, hi int, first bool, sc *kernels.Scratch)

// mixedBinder binds a rule's mixed-storage step to one tensor's operands.
type mixedBinder[T kernels.Float, S any] func(s *S, x *kernels.Mixed[T]) mixedFunc

// addTensors builds group gi's tensors over its parameters ps (checked), in
// order, and binds each through the group's rule.
func (c *core) addTensors(gi int, ps []Param) {
	g := &c.groups[gi]
	for i := range ps {
		p := &ps[i]
		b := tensorBase{name: p.Name, shape: p.shape(), group: gi, n: p.Len()}
		c.byName[b.name] = len(c.tensors)
		g.params = append(g.params, len(c.tensors))
		c.tensors = append(c.tensors, c.newAnyTensor(b, p, g.h, g.q8min))
		c.bindTensor(len(c.tensors) - 1)
	}
}

// newAnyTensor returns the tensor for parameter p of a group with
// hyper-parameters h whose tensors of at least q8min elements (when
// q8min > 0) keep 8-bit state.
func (c *core) newAnyTensor(b tensorBase, p *Param, h groupHyper, q8min int) anyTensor {
	q8 := q8min > 0 && b.n >= q8min && p.Data64 == nil
	switch {
	case p.Data16 != nil:
		master := make([]float32, b.n)
		kernels.Widen(p.Half, master, p.Data16)
		x := kernels.Mixed[float32]{P: master, Copy: p.Data16, CopyFormat: p.Half, G16: p.Grad16, GFormat: p.Half}
		return newMixed(c, b, *p, x, c.alg.State, h, q8)
	case p.Data64 != nil && p.Grad32 != nil:
		return newMixed(c, b, *p, kernels.Mixed[float64]{P: p.Data64, G32: p.Grad32}, c.alg.State, h, false)
	case q8: // float32 with 8-bit state
		return newMixed(c, b, *p, kernels.Mixed[float32]{P: p.Data32, G: p.Grad32}, c.alg.State, h, true)
	case p.Data32 != nil:
		return newTensor(b, p.Data32, p.Grad32, c.alg.State, h)
	}
	return newTensor(b, p.Data64, p.Grad64, c.alg.State, h)
}

// mixedTensor is a parameter stored in a mixed form, with its state.
type mixedTensor[T kernels.Float] struct {
	tensorBase
	src   Param // the caller's slices
	x     *kernels.Mixed[T]
	state [][]T         // full-precision state tensors (nil: not kept, or quantized)
	q     []*kernels.Q8 // quantized state tensors (nil: not kept, or full)
	step  mixedFunc
	c     *core
}

func newMixed[T kernels.Float](c *core, b tensorBase, src Param, x kernels.Mixed[T], state []StateTensor, h groupHyper, q8 bool) *mixedTensor[T] {
	t := &mixedTensor[T]{tensorBase: b, src: src, x: &x, state: make([][]T, len(state)), q: make([]*kernels.Q8, len(state)), c: c}
	v := h.values()
	x.State = make([]kernels.State[T], len(state))
	for i, keep := range keeps(state, v) {
		if !keep {
			continue
		}
		var init T
		if k := state[i].Init; k != "" {
			init = T(v[k])
		}
		s := make([]T, b.n)
		for j := range s {
			s[j] = init
		}
		if q8 {
			m := kernels.Q8Unsigned
			if state[i].Signed {
				m = kernels.Q8Signed
			}
			q := kernels.NewQ8(m, b.n)
			q.Encode(any(s).([]float32))
			t.q[i], x.State[i].Q = &q, &q
			continue
		}
		t.state[i], x.State[i].Native = s, s
	}
	switch x := any(t.x).(type) {
	case *kernels.Mixed[float32]:
		t.step = h.bindMixed32(x)
	case *kernels.Mixed[float64]:
		t.step = h.bindMixed64(x)
	}
	return t
}

func (t *mixedTensor[T]) base() *tensorBase { return &t.tensorBase }

func (t *mixedTensor[T]) param() Param {
	p := t.src
	p.Shape = append([]int(nil), t.shape...)
	return p
}

// pre clamps the gradient's elements [lo, hi) (in its own format) and
// returns their sum of squares: for a 16-bit gradient, the sum over blocks
// of Q8Block widened elements (each block's from kernels.SumSquares) in
// order.
func (t *mixedTensor[T]) pre(lo, hi int, clamp float64) (float64, bool) {
	if t.src.Grad16 == nil {
		finite := t.clampWide(lo, hi, clamp)
		var sum float64
		var ok bool
		if t.src.Grad32 != nil {
			sum, ok = kernels.SumSquares(t.src.Grad32[lo:hi])
		} else {
			sum, ok = kernels.SumSquares(t.src.Grad64[lo:hi])
		}
		return sum, finite && ok
	}
	finite := true
	var sum float64
	t.halfBlocks(lo, hi, func(g []uint16, w []float32) {
		if clamp > 0 && !clampHalf(t.src.Half, g, w, float32(clamp)) {
			finite = false
		}
		s, ok := kernels.SumSquares(w)
		sum += s
		finite = finite && ok
	})
	return sum, finite
}

// clampWide clamps a float32 or float64 gradient's elements [lo, hi) to
// [−clamp, clamp] (clamp > 0; nothing otherwise) and reports whether they
// were all finite.
func (t *mixedTensor[T]) clampWide(lo, hi int, clamp float64) bool {
	switch {
	case clamp <= 0:
		return true
	case t.src.Grad32 != nil:
		return clampTo(t.src.Grad32[lo:hi], float32(clamp))
	}
	return clampTo(t.src.Grad64[lo:hi], clamp)
}

// halfBlocks calls f on each block of Q8Block elements of the 16-bit
// gradient's [lo, hi) with its float32 values, widened in a scratch block.
func (t *mixedTensor[T]) halfBlocks(lo, hi int, f func(g []uint16, w []float32)) {
	sc := t.c.scratch()
	defer t.c.release(sc)
	buf := sc.Block()
	for b := lo; b < hi; b += len(buf) {
		e := min(b+len(buf), hi)
		w := buf[:e-b]
		kernels.Widen(t.src.Half, w, t.src.Grad16[b:e])
		f(t.src.Grad16[b:e], w)
	}
}

// clampHalf clamps the 16-bit gradient g (widened in w, which it updates
// too) to [−b, b], the bound rounded to the format as torch's clamp_ on a
// 16-bit tensor does, and reports whether every element was finite.
func clampHalf(h kernels.Half, g []uint16, w []float32, b float32) bool {
	to, from := kernels.ToBF16, kernels.FromBF16
	if h == kernels.F16 {
		to, from = kernels.ToF16, kernels.FromF16
	}
	hb := to(b)
	wb := from(hb)
	finite := true
	for i, x := range w {
		if x-x != 0 {
			finite = false
		}
		if x > b {
			g[i], w[i] = hb, wb
		} else if x < -b {
			g[i], w[i] = hb|0x8000, -wb
		}
	}
	return finite
}

// update clamps the gradient's elements [lo, hi) when clipping by value
// (without the sums pre computes) and runs the mixed step over them.
func (t *mixedTensor[T]) update(lo, hi int, first bool, clamp float64) {
	if t.src.Grad16 == nil {
		t.clampWide(lo, hi, clamp)
	} else if clamp > 0 {
		t.halfBlocks(lo, hi, func(g []uint16, w []float32) { clampHalf(t.src.Half, g, w, float32(clamp)) })
	}
	sc := t.c.scratch()
	t.step(lo, hi, first, sc)
	t.c.release(sc)
}

func (t *mixedTensor[T]) zeroGrad() {
	clear(t.src.Grad16)
	clear(t.src.Grad32)
	clear(t.src.Grad64)
}

// outs: the float32 master weights (16-bit parameters) or the float64 data
// under the parameter's name, then each kept state tensor: full precision,
// or its codes (U8, the parameter's shape) and its block maxima
// ("<state>.absmax", F32, one per block).
func (t *mixedTensor[T]) outs(state []StateTensor) []safetensors.Out {
	o := []safetensors.Out{safetensors.Of(t.name, t.shape, t.x.P)}
	for i := range state {
		switch {
		case t.state[i] != nil:
			o = append(o, safetensors.Of(t.name+"."+state[i].Name, t.shape, t.state[i]))
		case t.q[i] != nil:
			o = append(o, safetensors.OfU8(t.name+"."+state[i].Name, t.shape, t.q[i].Codes),
				safetensors.Of(t.name+"."+state[i].Name+SuffixAbsmax, []int{len(t.q[i].Absmax)}, t.q[i].Absmax))
		}
	}
	return o
}

// SuffixAbsmax ends the name of an 8-bit state tensor's block maxima in a
// checkpoint ("w.exp_avg.absmax").
const SuffixAbsmax = ".absmax"

func init() { addSuffix(SuffixAbsmax) }

func (t *mixedTensor[T]) load(k int, data []byte) {
	if k == 0 {
		safetensors.Decode(t.x.P, data)
		if t.x.Copy != nil {
			p := any(t.x.P).([]float32)
			kernels.Narrow(t.x.CopyFormat, t.x.Copy, p)
		}
		return
	}
	k--
	for i := range t.state {
		switch {
		case t.state[i] != nil:
			if k == 0 {
				safetensors.Decode(t.state[i], data)
				return
			}
			k--
		case t.q[i] != nil:
			if k == 0 {
				safetensors.DecodeU8(t.q[i].Codes, data)
				return
			}
			if k == 1 {
				safetensors.Decode(t.q[i].Absmax, data)
				return
			}
			k -= 2
		}
	}
	panic("optim: load: no such tensor")
}

func (t *mixedTensor[T]) stateBytes() int64 {
	n := sliceBytes(t.state)
	if t.x.Copy != nil {
		n += 4 * int64(len(t.x.P)) // master weights
	}
	for _, q := range t.q {
		if q != nil {
			n += int64(len(q.Codes)) + 4*int64(len(q.Absmax))
		}
	}
	return n
}

// StateBytes returns the memory the optimizer keeps besides the caller's
// slices: every state tensor (8-bit ones with their block maxima) and the
// float32 master weights of 16-bit parameters.
func (o *Optimizer) StateBytes() int64 {
	var n int64
	for _, t := range o.c.tensors {
		n += t.stateBytes()
	}
	return n
}

// stateOf returns the i-th state tensor: []T, *kernels.Q8, or nil.
func (t *mixedTensor[T]) stateOf(i int) any {
	if t.q[i] != nil {
		return t.q[i]
	}
	return t.state[i]
}

// scratch returns a Scratch for one goroutine; release gives it back.
func (c *core) scratch() *kernels.Scratch {
	select {
	case s := <-c.scratches:
		return s
	default:
		return new(kernels.Scratch) // more goroutines than workers: only before the pool is sized
	}
}

func (c *core) release(s *kernels.Scratch) {
	select {
	case c.scratches <- s:
	default:
	}
}

// mustCheck panics on an inconsistent mixed step: the operands are built
// here, so an error is a bug in this package.
func mustCheck(err error) {
	if err != nil {
		panic("optim: " + err.Error())
	}
}

// checkStorage reports why parameter p of a group with hyper-parameters h
// and 8-bit threshold q8min cannot be stored as asked.
func checkStorage(alg *Algorithm, p *Param, h groupHyper, q8min int) error {
	if h.mixed() {
		return nil
	}
	switch {
	case p.Data16 != nil:
		return fmt.Errorf("optim: parameter %q: %s does not support 16-bit parameters", p.Name, alg.Name)
	case p.Data64 != nil && p.Grad32 != nil:
		return fmt.Errorf("optim: parameter %q: %s does not support float64 data with a float32 gradient", p.Name, alg.Name)
	case q8min > 0:
		return fmt.Errorf("optim: %s does not support 8-bit state", alg.Name)
	}
	return nil
}
