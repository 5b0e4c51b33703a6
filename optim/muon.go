package optim

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/kernels"
)

// The muon rule: Muon (Jordan et al. 2024) with torch.optim.Muon's
// semantics for the 2-D parameters of a group, and AdamW for the groups
// with adamw set (biases, gains, embeddings, the output layer), as Muon is
// run in practice (Keller Jordan's MuonWithAuxAdam). Per Muon matrix G
// (rows×cols), one step is
//
//	buf ← buf + (1−μ)·(g − buf)                          ; MuonMomentum kernel
//	u   ← nesterov ? g + μ·(buf − g) : buf
//	X   ← u / max(‖u‖_F, eps)                            ; ‖u‖² by kernels.SumSquares
//	ns_steps times, with (a, b, c) = (3.4445, −4.7750, 2.0315):
//	    A ← X·Xᵀ ;  B ← b·A + c·A·A ;  X ← a·X + B·X     ; blas.Gemm
//	    (a tall matrix, rows > cols, transposed before and after, as torch)
//	θ   ← θ·(1 − lr·λ) − lr'·X                           ; MuonUpdate kernel
//
// with lr' = lr·sqrt(max(1, rows/cols)) or, with match_rms_adamw,
// lr·0.2·sqrt(max(rows, cols)). Unlike torch (which runs the iterations in
// bfloat16), the iterations run in the parameter's element type.
//
// Reproducibility: the momentum, the norm and the final update are
// descent's kernels (bit-identical on every implementation). The matrix
// products are the BLAS's: each matrix's orthogonalization runs on one
// goroutine with preallocated buffers, so the result does not depend on
// the optimizer's number of workers; it does depend on the BLAS
// implementation (OpenBLAS and gonum sum in different orders), and
// OpenBLAS's kernels may differ between CPUs. descent guarantees the same
// bits for one binary, CPU, BLAS implementation and BLAS thread count; see
// the README's Muon section for what was measured across thread counts.

// KindMuon is the rule of muon.
const KindMuon Kind = "muon"

var muonRule = register(&rule[kernels.Muon, kernels.MuonScalars]{
	kind: KindMuon,
	params: []param[kernels.Muon]{
		num("lr", "learning rate", atLeast(0), func(h *kernels.Muon) *float64 { return &h.LR }),
		num("weight_decay", "decoupled weight decay λ: θ ← θ·(1 − lr·λ)", atLeast(0), func(h *kernels.Muon) *float64 { return &h.WeightDecay }).short("wd"),
		num("momentum", "momentum μ of the buffer", unitOpen(), func(h *kernels.Muon) *float64 { return &h.Momentum }),
		flag("nesterov", "Nesterov momentum: orthogonalize g + μ·(buf − g)", func(h *kernels.Muon) *bool { return &h.Nesterov }),
		num("ns_steps", "Newton–Schulz iterations (an integer)", Interval{Min: 1, Max: 99}, func(h *kernels.Muon) *float64 { return &h.NSSteps }),
		num("eps", "ε: the update is divided by max(‖update‖, ε)", above(0), func(h *kernels.Muon) *float64 { return &h.Eps }),
		flag("match_rms_adamw", "adjust_lr_fn match_rms_adamw: lr·0.2·sqrt(max(rows, cols)) (else original: lr·sqrt(max(1, rows/cols)))", func(h *kernels.Muon) *bool { return &h.MatchRMSAdamW }),
		flag("adamw", "the group runs AdamW (for the parameters Muon is not for)", func(h *kernels.Muon) *bool { return &h.AdamW }).structural(),
		num("beta1", "AdamW groups: decay β1 of the first moment", unitOpen(), func(h *kernels.Muon) *float64 { return &h.Beta1 }),
		num("beta2", "AdamW groups: decay β2 of the second moment", unitOpen(), func(h *kernels.Muon) *float64 { return &h.Beta2 }),
		num("adam_eps", "AdamW groups: ε added to the denominator", above(0), func(h *kernels.Muon) *float64 { return &h.AdamEps }),
	},
	state:    []StateTensor{{Name: "momentum_buffer", Unless: "adamw"}, {Name: "exp_avg", When: "adamw"}, {Name: "exp_avg_sq", When: "adamw"}},
	validate: kernels.Muon.Validate,
	scalars:  kernels.Muon.Scalars,
	shape:    muonShape,
	tensor32: bindMuon[float32],
	tensor64: bindMuon[float64],
})

// muonShape refuses a parameter that is not a matrix in a Muon group.
func muonShape(h kernels.Muon, name string, shape []int) error {
	if h.AdamW {
		return nil
	}
	if len(shape) != 2 || shape[0] < 1 || shape[1] < 1 {
		return fmt.Errorf("optim: muon: parameter %q has shape %v: Muon updates 2-D matrices (set Shape, or put it in a group with adamw = true)", name, shape)
	}
	return nil
}

func bindMuon[T kernels.Float](h kernels.Muon, s *kernels.MuonScalars, impl *blas.Impl, shape []int, p, g []T, st [][]T) (stepFunc, prepFunc) {
	if h.AdamW {
		m, v := st[1], st[2]
		return func(lo, hi int, _ bool) { kernels.AdamStep(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], &s.Adam) }, nil
	}
	rows, cols := shape[0], shape[1]
	ns := newNewtonSchulz[T](impl, rows, cols)
	buf := st[0]
	var o []T
	prep := func(bool) {
		kernels.MuonMomentumStep(buf, g, ns.x, s)
		o = ns.run(s.NSSteps, s.Eps)
	}
	step := func(lo, hi int, _ bool) { kernels.MuonUpdateStep(p[lo:hi], o[lo:hi], s, rows, cols) }
	return step, prep
}

// newtonSchulz orthogonalizes a rows×cols matrix (row-major) in place with
// Muon's quintic Newton–Schulz iteration, through preallocated buffers: x
// holds the matrix, y the next iterate, a and b the m×m Gram matrix and
// polynomial (m = min(rows, cols)).
type newtonSchulz[T kernels.Float] struct {
	impl       *blas.Impl
	rows, cols int
	x, y, a, b []T
}

func newNewtonSchulz[T kernels.Float](impl *blas.Impl, rows, cols int) *newtonSchulz[T] {
	m := min(rows, cols)
	return &newtonSchulz[T]{impl: impl, rows: rows, cols: cols,
		x: make([]T, rows*cols), y: make([]T, rows*cols), a: make([]T, m*m), b: make([]T, m*m)}
}

// run normalizes x by max(‖x‖_F, eps) (the squared norm by
// kernels.SumSquares, each element divided by the norm rounded to T) and
// iterates steps times; it returns the result (x or y). A tall matrix is
// transposed first and back at the end, as torch does, so that the Gram
// matrix is always the smaller side's and one form of the products serves
// every shape.
func (w *newtonSchulz[T]) run(steps int, eps float64) []T {
	ss, _ := kernels.SumSquares(w.x)
	d := T(max(math.Sqrt(ss), eps)) // NaN stays NaN
	for i := range w.x {
		w.x[i] /= d
	}
	x, y := w.x, w.y
	r, c := w.rows, w.cols
	tall := r > c
	if tall {
		transpose(y, x, r, c)
		x, y = y, x
		r, c = c, r
	}
	for range steps {
		blas.Gemm(w.impl, blas.NoTrans, blas.Trans, r, r, c, 1, x, c, x, c, 0, w.a, r) // A = X·Xᵀ
		copy(w.b, w.a)
		blas.Gemm(w.impl, blas.NoTrans, blas.NoTrans, r, r, r, T(kernels.NS5C), w.a, r, w.a, r, T(kernels.NS5B), w.b, r) // B = b·A + c·A·A
		copy(y, x)
		blas.Gemm(w.impl, blas.NoTrans, blas.NoTrans, r, c, r, 1, w.b, r, x, c, T(kernels.NS5A), y, c) // Y = a·X + B·X
		x, y = y, x
	}
	if tall {
		transpose(y, x, r, c)
		return y
	}
	return x
}

// transpose writes the transpose of the r×c row-major matrix src into dst
// (c×r), in 32×32 blocks.
func transpose[T kernels.Float](dst, src []T, r, c int) {
	const bs = 32
	for i0 := 0; i0 < r; i0 += bs {
		for j0 := 0; j0 < c; j0 += bs {
			for i := i0; i < min(i0+bs, r); i++ {
				for j := j0; j < min(j0+bs, c); j++ {
					dst[j*r+i] = src[i*c+j]
				}
			}
		}
	}
}

var _ = muonRule.alias(aliasOf[kernels.Muon]{
	name: "muon", order: 62, trainLR: 0.02,
	doc:      "Muon: momentum orthogonalized by Newton–Schulz for 2-D weights (torch.optim.Muon), AdamW for groups with adamw",
	defaults: kernels.DefaultMuon(),
	tune: map[string]Tune{
		"lr":           {Grid: []float64{1e-3, 1e-2, 5e-2}, Min: 1e-4, Max: 1e-1, Log: true},
		"momentum":     {Min: 0.85, Max: 0.98},
		"weight_decay": wdTune,
	},
})
