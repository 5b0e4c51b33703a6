package optim

import (
	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/kernels"
)

// The per-tensor phase: rules whose update is not elementwise (LAMB's
// trust ratio, Muon's Newton–Schulz orthogonalization) do part of a step
// once per tensor, over the whole tensor, before the chunked elementwise
// pass. It runs beside clipping's pre phase and after it (the gradient
// scale and the value clamp are settled first):
//
//	pre (clipping by norm, finite check; chunked) → scalars → per-tensor
//	(one work item per tensor that has the phase) → update (chunked)
//
// A tensor's per-tensor work runs on one goroutine and depends only on its
// own slices and its group's scalars, so results are the same for any
// number of workers. Its chunked step then reads what the per-tensor phase
// left (the orthogonalized matrix, the trust ratio).

// prepFunc is a tensor's per-tensor phase of one step; first is true on
// its group's first update.
type prepFunc func(first bool)

// tensorBinder binds a rule's kernels to a tensor with its shape and the
// optimizer's BLAS implementation; it returns the chunked step and the
// per-tensor phase (nil for none). shape has passed the rule's shape check.
type tensorBinder[T kernels.Float, H, S any] func(h H, s *S, impl *blas.Impl, shape []int, p, g []T, st [][]T) (stepFunc, prepFunc)

// persisted is a field of a rule's scalars that is state between steps,
// saved in checkpoints as the group metadata "group.<g>.<key>".
type persisted[S any] struct {
	key string
	f   func(*S) *float64
}

// prepItem is one tensor's per-tensor phase.
type prepItem struct {
	t   int
	run prepFunc
}

func (g *hyperOf[H, S]) checkShape(name string, shape []int) error {
	if g.r.shape == nil {
		return nil
	}
	return g.r.shape(g.h, name, shape)
}

func (g *hyperOf[H, S]) ready() error {
	if g.r.ready == nil {
		return nil
	}
	return g.r.ready(&g.s)
}

// bindTensor rebinds t through the rule's tensor binder, when it has one,
// and returns the tensor's per-tensor phase (nil for none).
func (g *hyperOf[H, S]) bindTensor(t anyTensor, c *core) prepFunc {
	var prep prepFunc
	switch t := t.(type) {
	case *tensor[float32]:
		if g.r.tensor32 != nil {
			t.step, prep = g.r.tensor32(g.h, &g.s, c.blas, t.shape, t.p, t.g, t.state)
		}
	case *tensor[float64]:
		if g.r.tensor64 != nil {
			t.step, prep = g.r.tensor64(g.h, &g.s, c.blas, t.shape, t.p, t.g, t.state)
		}
	}
	return prep
}

// checkShapes checks every parameter of a group against its rule's shape
// check.
func checkShapes(h groupHyper, ps []Param) error {
	for i := range ps {
		if err := h.checkShape(ps[i].Name, ps[i].shape()); err != nil {
			return err
		}
	}
	return nil
}

// bindTensor binds tensor ti through its group's rule and records its
// per-tensor phase.
func (c *core) bindTensor(ti int) {
	t := c.tensors[ti]
	if prep := c.groups[t.base().group].h.bindTensor(t, c); prep != nil {
		c.preps = append(c.preps, prepItem{ti, prep})
	}
}

// runPrep runs the per-tensor phase of prep item i, clamping the tensor's
// gradient first when clipping by value has not yet (the chunked update
// clamps again, which changes nothing).
func (c *core) runPrep(i int) {
	it := c.preps[i]
	t := c.tensors[it.t]
	if c.clamp > 0 && !c.needPre() {
		switch t := t.(type) {
		case *tensor[float32]:
			clampTo(t.g, float32(c.clamp))
		case *tensor[float64]:
			clampTo(t.g, c.clamp)
		}
	}
	it.run(c.step == c.groups[t.base().group].born)
}

// ready returns the first group's refusal to step, if any.
func (c *core) ready() error {
	for gi := range c.groups {
		if err := c.groups[gi].h.ready(); err != nil {
			return err
		}
	}
	return nil
}

// WithBLAS sets the BLAS implementation of the rules that multiply
// matrices (Muon's Newton–Schulz iterations): blas.OpenBLAS, blas.Gonum, or
// nil for blas.Default(). Results are bit-identical for any number of
// workers with one implementation and thread count; see Muon for what holds
// across them.
func WithBLAS(impl *blas.Impl) Option { return func(o *option) { o.blas = impl } }
