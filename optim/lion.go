package optim

import "github.com/descent-go/descent/kernels"

// The lion rule: Lion (Chen et al. 2023) as in Optax and lion-pytorch,
// c = β1·m + (1−β1)·g; θ ← θ − lr·(sign(c) + λ·θ); m ← β2·m + (1−β2)·g.

// KindLion is the rule of lion.
const KindLion Kind = "lion"

var lionRule = register(&rule[kernels.Lion, kernels.LionScalars]{
	kind: KindLion,
	params: []param[kernels.Lion]{
		num("lr", "learning rate", atLeast(0), func(h *kernels.Lion) *float64 { return &h.LR }),
		num("beta1", "interpolation β1 of the update direction", unit(), func(h *kernels.Lion) *float64 { return &h.Beta1 }),
		num("beta2", "decay β2 of the momentum", unit(), func(h *kernels.Lion) *float64 { return &h.Beta2 }),
		num("weight_decay", "weight decay λ", atLeast(0), func(h *kernels.Lion) *float64 { return &h.WeightDecay }).short("wd"),
		flag("maximize", "ascend instead of descend", func(h *kernels.Lion) *bool { return &h.Maximize }),
	},
	state:    []StateTensor{{Name: "exp_avg", Signed: true}},
	validate: kernels.Lion.Validate,
	scalars:  func(h kernels.Lion, _ int, gs float64) kernels.LionScalars { return h.Scalars(gs) },
	k32:      bindLion[float32],
	k64:      bindLion[float64],
	m32:      bindLionMixed[float32],
	m64:      bindLionMixed[float64],
})

func bindLionMixed[T kernels.Float](s *kernels.LionScalars, x *kernels.Mixed[T]) mixedFunc {
	mustCheck(x.Check("Lion"))
	return func(lo, hi int, _ bool, sc *kernels.Scratch) { kernels.LionStepMixed(x, lo, hi, sc, s) }
}

func bindLion[T kernels.Float](s *kernels.LionScalars, p, g []T, st [][]T) stepFunc {
	m := st[0]
	return func(lo, hi int, _ bool) { kernels.LionStep(p[lo:hi], g[lo:hi], m[lo:hi], s) }
}

var _ = lionRule.alias(aliasOf[kernels.Lion]{
	name: "lion", order: 30, trainLR: 1e-3,
	doc:      "Lion: the sign of an interpolated momentum (Chen et al. 2023; lr 3–10× smaller than AdamW's)",
	defaults: kernels.DefaultLion(),
	tune: map[string]Tune{
		"lr":           {Grid: []float64{1e-4, 1e-3, 1e-2}, Min: 1e-5, Max: 1e-1, Log: true},
		"beta1":        beta1Tune,
		"beta2":        {Min: 1e-3, Max: 1e-1, Log: true, Complement: true}, // β2 ∈ [0.9, 0.999]
		"weight_decay": wdTune,
	},
})
