package optim

import (
	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/kernels"
)

// The lamb rule: LAMB (You et al. 2020) with optax.lamb's semantics. Per
// tensor, one step is
//
//	m, v, u ← the Adam direction plus decoupled decay     ; LAMB kernel
//	r       ← ‖θ‖/‖u‖ (1 when either is 0; φ = identity)  ; kernels.SumSquares
//	θ       ← θ − (lr·r)·u                                ; Axpy kernel
//
// The norms are whole-tensor sums of squares in the canonical order, so
// the result is bit-identical on every implementation and for any number
// of workers. The direction u is kept in a scratch buffer per tensor (one
// more tensor's memory, not saved in checkpoints).

// KindLAMB is the rule of lamb.
const KindLAMB Kind = "lamb"

var lambRule = register(&rule[kernels.LAMB, kernels.LAMBScalars]{
	kind: KindLAMB,
	params: []param[kernels.LAMB]{
		num("lr", "learning rate", atLeast(0), func(h *kernels.LAMB) *float64 { return &h.LR }),
		num("beta1", "decay β1 of the first moment", unitOpen(), func(h *kernels.LAMB) *float64 { return &h.Beta1 }),
		num("beta2", "decay β2 of the second moment", unitOpen(), func(h *kernels.LAMB) *float64 { return &h.Beta2 }),
		num("eps", "ε added to the denominator", above(0), func(h *kernels.LAMB) *float64 { return &h.Eps }),
		num("weight_decay", "decoupled weight decay λ: u ← u + λ·θ before the trust ratio", atLeast(0), func(h *kernels.LAMB) *float64 { return &h.WeightDecay }).short("wd"),
	},
	state:    []StateTensor{{Name: "exp_avg"}, {Name: "exp_avg_sq"}},
	validate: kernels.LAMB.Validate,
	scalars:  kernels.LAMB.Scalars,
	tensor32: bindLAMB[float32],
	tensor64: bindLAMB[float64],
})

func bindLAMB[T kernels.Float](_ kernels.LAMB, s *kernels.LAMBScalars, _ *blas.Impl, _ []int, p, g []T, st [][]T) (stepFunc, prepFunc) {
	m, v := st[0], st[1]
	u := make([]T, len(p))
	var a T
	prep := func(bool) {
		kernels.LAMBDirection(p, g, m, v, u, s)
		a = T(-float64(s.LR * kernels.LAMBRatio(p, u)))
	}
	step := func(lo, hi int, _ bool) { kernels.Axpy(a, u[lo:hi], p[lo:hi]) }
	return step, prep
}

var _ = lambRule.alias(aliasOf[kernels.LAMB]{
	name: "lamb", order: 60, trainLR: 0.03,
	doc:      "LAMB: the Adam direction scaled per tensor by the trust ratio ‖θ‖/‖u‖ (optax.lamb)",
	defaults: kernels.DefaultLAMB(),
	tune: map[string]Tune{
		"lr": lrTune, "beta1": beta1Tune, "beta2": beta2Tune, "eps": epsTune, "weight_decay": wdTune,
	},
})
