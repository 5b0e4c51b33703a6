package optim

import "github.com/descent-go/descent/kernels"

// The sgd rule: torch.optim.SGD (momentum, dampening, Nesterov, weight
// decay, maximize), with the algorithms sgd, momentum and nesterov.

// KindSGD is the rule of sgd, momentum and nesterov.
const KindSGD Kind = "sgd"

var sgdRule = register(&rule[kernels.SGD, kernels.SGDScalars]{
	kind: KindSGD,
	params: []param[kernels.SGD]{
		num("lr", "learning rate", atLeast(0), func(h *kernels.SGD) *float64 { return &h.LR }),
		num("momentum", "momentum μ (0: none)", atLeast(0), func(h *kernels.SGD) *float64 { return &h.Momentum }),
		num("dampening", "dampening τ of the momentum", unit(), func(h *kernels.SGD) *float64 { return &h.Dampening }),
		num("weight_decay", "L2 penalty λ", atLeast(0), func(h *kernels.SGD) *float64 { return &h.WeightDecay }).short("wd"),
		flag("nesterov", "Nesterov momentum", func(h *kernels.SGD) *bool { return &h.Nesterov }),
		flag("maximize", "ascend instead of descend", func(h *kernels.SGD) *bool { return &h.Maximize }),
	},
	state:    []StateTensor{{Name: "momentum_buffer", When: "momentum", Signed: true}},
	validate: kernels.SGD.Validate,
	scalars:  func(h kernels.SGD, _ int, gs float64) kernels.SGDScalars { return h.Scalars(gs) },
	k32:      bindSGD[float32],
	k64:      bindSGD[float64],
	m32:      bindSGDMixed[float32],
	m64:      bindSGDMixed[float64],
})

func bindSGDMixed[T kernels.Float](s *kernels.SGDScalars, x *kernels.Mixed[T]) mixedFunc {
	if st := x.State[0]; st.Native != nil || st.Q != nil {
		mustCheck(x.Check("Momentum"))
		return func(lo, hi int, first bool, sc *kernels.Scratch) { kernels.MomentumStepMixed(x, lo, hi, sc, s, first) }
	}
	x.State = x.State[:0]
	mustCheck(x.Check("SGD"))
	return func(lo, hi int, _ bool, sc *kernels.Scratch) { kernels.SGDStepMixed(x, lo, hi, sc, s) }
}

func bindSGD[T kernels.Float](s *kernels.SGDScalars, p, g []T, st [][]T) stepFunc {
	if buf := st[0]; buf != nil {
		return func(lo, hi int, first bool) { kernels.MomentumStep(p[lo:hi], g[lo:hi], buf[lo:hi], s, first) }
	}
	return func(lo, hi int, _ bool) { kernels.SGDStep(p[lo:hi], g[lo:hi], s) }
}

var (
	lrTune = Tune{Grid: []float64{1e-3, 1e-2, 1e-1}, Min: 1e-4, Max: 1, Log: true}
	wdTune = Tune{Log: true} // the default (0) unless a search gives values or a range (log-uniform)

	_ = sgdRule.alias(aliasOf[kernels.SGD]{
		name: "sgd", order: 10, trainLR: 0.1,
		doc:      "stochastic gradient descent, torch.optim.SGD (momentum 0 unless given)",
		defaults: kernels.SGD{LR: 1e-3},
		tune:     map[string]Tune{"lr": lrTune, "weight_decay": wdTune},
	})
	_ = sgdRule.alias(aliasOf[kernels.SGD]{
		name: "momentum", order: 11, trainLR: 0.05,
		doc:      "SGD with heavy-ball momentum (default 0.9)",
		defaults: kernels.SGD{LR: 1e-3, Momentum: 0.9},
		fixed:    []string{"nesterov"},
		tune:     map[string]Tune{"lr": lrTune, "momentum": {Min: 0.5, Max: 0.99}, "dampening": {}, "weight_decay": wdTune},
	})
	_ = sgdRule.alias(aliasOf[kernels.SGD]{
		name: "nesterov", order: 12, trainLR: 0.05,
		doc:      "SGD with Nesterov momentum (default 0.9)",
		defaults: kernels.SGD{LR: 1e-3, Momentum: 0.9, Nesterov: true},
		fixed:    []string{"nesterov", "dampening"},
		ranges:   map[string]Interval{"momentum": above(0)},
		tune:     map[string]Tune{"lr": lrTune, "momentum": {Min: 0.5, Max: 0.99}, "weight_decay": wdTune},
	})
)
