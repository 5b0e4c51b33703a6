package optim

import "github.com/descent-go/descent/kernels"

// The adagrad rule: torch.optim.Adagrad (PyTorch 1.13): lr decay, weight
// decay, initial accumulator value, eps.

// KindAdagrad is the rule of adagrad.
const KindAdagrad Kind = "adagrad"

var adagradRule = register(&rule[kernels.Adagrad, kernels.AdagradScalars]{
	kind: KindAdagrad,
	params: []param[kernels.Adagrad]{
		num("lr", "learning rate", atLeast(0), func(h *kernels.Adagrad) *float64 { return &h.LR }),
		num("lr_decay", "the rate at step t is lr/(1 + (t−1)·lr_decay)", atLeast(0), func(h *kernels.Adagrad) *float64 { return &h.LRDecay }),
		num("weight_decay", "L2 penalty λ", atLeast(0), func(h *kernels.Adagrad) *float64 { return &h.WeightDecay }).short("wd"),
		num("initial_accumulator_value", "starting value of the sum of squared gradients", atLeast(0),
			func(h *kernels.Adagrad) *float64 { return &h.InitialAccumulatorValue }),
		num("eps", "ε added to the denominator", above(0), func(h *kernels.Adagrad) *float64 { return &h.Eps }),
		flag("maximize", "ascend instead of descend", func(h *kernels.Adagrad) *bool { return &h.Maximize }),
	},
	state:    []StateTensor{{Name: "sum", Init: "initial_accumulator_value"}},
	validate: kernels.Adagrad.Validate,
	scalars:  kernels.Adagrad.Scalars,
	k32:      bindAdagrad[float32],
	k64:      bindAdagrad[float64],
	m32:      bindAdagradMixed[float32],
	m64:      bindAdagradMixed[float64],
})

func bindAdagradMixed[T kernels.Float](s *kernels.AdagradScalars, x *kernels.Mixed[T]) mixedFunc {
	mustCheck(x.Check("Adagrad"))
	return func(lo, hi int, _ bool, sc *kernels.Scratch) { kernels.AdagradStepMixed(x, lo, hi, sc, s) }
}

func bindAdagrad[T kernels.Float](s *kernels.AdagradScalars, p, g []T, st [][]T) stepFunc {
	sum := st[0]
	return func(lo, hi int, _ bool) { kernels.AdagradStep(p[lo:hi], g[lo:hi], sum[lo:hi], s) }
}

var _ = adagradRule.alias(aliasOf[kernels.Adagrad]{
	name: "adagrad", order: 40, trainLR: 0.1,
	doc:      "Adagrad, torch.optim.Adagrad",
	defaults: kernels.DefaultAdagrad(),
	tune: map[string]Tune{
		"lr":           {Grid: []float64{1e-2, 1e-1, 1}, Min: 1e-3, Max: 1, Log: true},
		"lr_decay":     {},
		"eps":          epsTune,
		"weight_decay": wdTune,
	},
})
