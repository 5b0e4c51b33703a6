package optim

import "github.com/descent-go/descent/kernels"

// The rmsprop rule: torch.optim.RMSprop (PyTorch 1.13): alpha, eps, weight
// decay, momentum, centered.

// KindRMSprop is the rule of rmsprop.
const KindRMSprop Kind = "rmsprop"

var rmspropRule = register(&rule[kernels.RMSprop, kernels.RMSpropScalars]{
	kind: KindRMSprop,
	params: []param[kernels.RMSprop]{
		num("lr", "learning rate", atLeast(0), func(h *kernels.RMSprop) *float64 { return &h.LR }),
		num("alpha", "smoothing constant α of the squared-gradient average", unit(), func(h *kernels.RMSprop) *float64 { return &h.Alpha }),
		num("eps", "ε added to the denominator", above(0), func(h *kernels.RMSprop) *float64 { return &h.Eps }),
		num("weight_decay", "L2 penalty λ", atLeast(0), func(h *kernels.RMSprop) *float64 { return &h.WeightDecay }).short("wd"),
		num("momentum", "momentum μ (0: none)", atLeast(0), func(h *kernels.RMSprop) *float64 { return &h.Momentum }),
		flag("centered", "divide by the estimated variance of the gradient", func(h *kernels.RMSprop) *bool { return &h.Centered }).structural(),
		flag("maximize", "ascend instead of descend", func(h *kernels.RMSprop) *bool { return &h.Maximize }),
	},
	state:    []StateTensor{{Name: "square_avg"}, {Name: "momentum_buffer", When: "momentum", Signed: true}, {Name: "grad_avg", When: "centered", Signed: true}},
	validate: kernels.RMSprop.Validate,
	scalars:  func(h kernels.RMSprop, _ int, gs float64) kernels.RMSpropScalars { return h.Scalars(gs) },
	k32:      bindRMSprop[float32],
	k64:      bindRMSprop[float64],
	m32:      bindRMSpropMixed[float32],
	m64:      bindRMSpropMixed[float64],
})

func bindRMSpropMixed[T kernels.Float](s *kernels.RMSpropScalars, x *kernels.Mixed[T]) mixedFunc {
	mustCheck(x.Check("RMSprop"))
	return func(lo, hi int, _ bool, sc *kernels.Scratch) { kernels.RMSpropStepMixed(x, lo, hi, sc, s) }
}

func bindRMSprop[T kernels.Float](s *kernels.RMSpropScalars, p, g []T, st [][]T) stepFunc {
	sq, buf, gavg := st[0], st[1], st[2]
	switch {
	case buf != nil && gavg != nil:
		return func(lo, hi int, _ bool) {
			kernels.RMSpropStep(p[lo:hi], g[lo:hi], sq[lo:hi], buf[lo:hi], gavg[lo:hi], s)
		}
	case buf != nil:
		return func(lo, hi int, _ bool) { kernels.RMSpropStep(p[lo:hi], g[lo:hi], sq[lo:hi], buf[lo:hi], nil, s) }
	case gavg != nil:
		return func(lo, hi int, _ bool) { kernels.RMSpropStep(p[lo:hi], g[lo:hi], sq[lo:hi], nil, gavg[lo:hi], s) }
	}
	return func(lo, hi int, _ bool) { kernels.RMSpropStep(p[lo:hi], g[lo:hi], sq[lo:hi], nil, nil, s) }
}

var _ = rmspropRule.alias(aliasOf[kernels.RMSprop]{
	name: "rmsprop", order: 50, trainLR: 0.01,
	doc:      "RMSprop, torch.optim.RMSprop",
	defaults: kernels.DefaultRMSprop(),
	tune: map[string]Tune{
		"lr":           {Grid: []float64{1e-3, 1e-2, 1e-1}, Min: 1e-4, Max: 1e-1, Log: true},
		"alpha":        {Min: 1e-3, Max: 1e-1, Log: true, Complement: true}, // α ∈ [0.9, 0.999]
		"eps":          epsTune,
		"momentum":     {},
		"centered":     {},
		"weight_decay": wdTune,
	},
})
