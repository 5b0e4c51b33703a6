package optim

import (
	"unsafe"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/safetensors"
)

// tensorBase is what the optimizer knows of a parameter whatever its
// element type.
type tensorBase struct {
	name  string
	shape []int
	group int
	n     int
}

// anyTensor is a tensor[float32] or a tensor[float64]: the element type is
// chosen once, at construction, and every later path goes through these
// methods.
type anyTensor interface {
	base() *tensorBase
	// pre clamps the gradient's elements [lo, hi) to [−clamp, clamp] (clamp
	// > 0) and returns their sum of squares and whether all were finite
	// (before the clamp).
	pre(lo, hi int, clamp float64) (sum float64, finite bool)
	// update clamps as pre does, then runs the bound kernel over [lo, hi).
	update(lo, hi int, first bool, clamp float64)
	zeroGrad()
	// outs returns the data and the kept state tensors, in checkpoint
	// order, named as in checkpoints.
	outs(state []StateTensor) []safetensors.Out
	// load sets the k-th tensor of outs from little-endian bytes.
	load(k int, data []byte)
	// stateOf returns the i-th state tensor of the rule ([]T, nil if not kept).
	stateOf(i int) any
	// param returns the Param the tensor was made from.
	param() Param
	// stateBytes returns the bytes of memory the optimizer keeps for the
	// tensor: state tensors and master weights.
	stateBytes() int64
}

// tensor is one parameter with its state, bound to its group's kernel.
type tensor[T kernels.Float] struct {
	tensorBase
	p, g  []T
	state [][]T // one per StateTensor of the rule; nil where not kept
	step  stepFunc
}

// newTensor allocates b's state for a group with hyper-parameters h — the
// tensors the rule keeps under h, each filled with its initial value — and
// binds the rule's kernel to the slices.
func newTensor[T kernels.Float](b tensorBase, p, g []T, state []StateTensor, h groupHyper) *tensor[T] {
	t := &tensor[T]{tensorBase: b, p: p, g: g, state: make([][]T, len(state))}
	v := h.values()
	for i, keep := range keeps(state, v) {
		if !keep {
			continue
		}
		s := make([]T, b.n)
		if k := state[i].Init; k != "" && v[k] != 0 {
			init := T(v[k])
			for j := range s {
				s[j] = init
			}
		}
		t.state[i] = s
	}
	switch p := any(p).(type) {
	case []float32:
		t.step = h.bind32(p, any(g).([]float32), any(t.state).([][]float32))
	case []float64:
		t.step = h.bind64(p, any(g).([]float64), any(t.state).([][]float64))
	}
	return t
}

func (t *tensor[T]) base() *tensorBase { return &t.tensorBase }

func (t *tensor[T]) param() Param {
	p := Param{Name: t.name, Shape: append([]int(nil), t.shape...)}
	switch d := any(t.p).(type) {
	case []float32:
		p.Data32, p.Grad32 = d, any(t.g).([]float32)
	case []float64:
		p.Data64, p.Grad64 = d, any(t.g).([]float64)
	}
	return p
}

func (t *tensor[T]) pre(lo, hi int, clamp float64) (float64, bool) {
	g := t.g[lo:hi]
	finite := true
	if clamp > 0 {
		finite = clampTo(g, T(clamp))
	}
	sum, ok := kernels.SumSquares(g)
	return sum, finite && ok
}

func (t *tensor[T]) update(lo, hi int, first bool, clamp float64) {
	if clamp > 0 {
		clampTo(t.g[lo:hi], T(clamp))
	}
	t.step(lo, hi, first)
}

func (t *tensor[T]) zeroGrad() { clear(t.g) }

func (t *tensor[T]) outs(state []StateTensor) []safetensors.Out {
	o := []safetensors.Out{safetensors.Of(t.name, t.shape, t.p)}
	for i, s := range t.state {
		if s != nil {
			o = append(o, safetensors.Of(t.name+"."+state[i].Name, t.shape, s))
		}
	}
	return o
}

func (t *tensor[T]) load(k int, data []byte) { loadTensor(t.p, t.state, k, data) }

// loadTensor decodes data into the k-th tensor of a parameter's checkpoint
// tensors: 0 is the data p, then the kept (non-nil) state tensors in order.
func loadTensor[T kernels.Float](p []T, state [][]T, k int, data []byte) {
	if k == 0 {
		safetensors.Decode(p, data)
		return
	}
	for _, s := range state {
		if s != nil {
			if k--; k == 0 {
				safetensors.Decode(s, data)
				return
			}
		}
	}
	panic("optim: load: no such tensor")
}

func (t *tensor[T]) stateOf(i int) any { return t.state[i] }

func (t *tensor[T]) stateBytes() int64 { return sliceBytes(t.state) }

// sliceBytes returns the bytes of the slices in s.
func sliceBytes[T kernels.Float](s [][]T) int64 {
	var n int64
	for _, x := range s {
		n += int64(len(x)) * int64(unsafe.Sizeof(T(0)))
	}
	return n
}

// clampTo sets every element of g to the nearest value in [−b, b] (NaN
// stays NaN) and reports whether every element was finite before the clamp.
func clampTo[T kernels.Float](g []T, b T) bool {
	finite := true
	for i, x := range g {
		if x-x != 0 { // NaN or ±Inf
			finite = false
		}
		if x > b {
			g[i] = b
		} else if x < -b {
			g[i] = -b
		}
	}
	return finite
}
