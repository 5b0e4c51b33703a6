package optim

import "github.com/descent-go/descent/kernels"

// The adam rule: torch.optim.Adam and AdamW (decoupled weight decay), with
// AMSGrad, and the algorithms adam, adamw and amsgrad.

// KindAdam is the rule of adam, adamw and amsgrad.
const KindAdam Kind = "adam"

var adamRule = register(&rule[kernels.Adam, kernels.AdamScalars]{
	kind: KindAdam,
	params: []param[kernels.Adam]{
		num("lr", "learning rate", atLeast(0), func(h *kernels.Adam) *float64 { return &h.LR }),
		num("beta1", "decay β1 of the first moment", unitOpen(), func(h *kernels.Adam) *float64 { return &h.Beta1 }),
		num("beta2", "decay β2 of the second moment", unitOpen(), func(h *kernels.Adam) *float64 { return &h.Beta2 }),
		num("eps", "ε added to the denominator", above(0), func(h *kernels.Adam) *float64 { return &h.Eps }),
		num("weight_decay", "weight decay λ: L2 penalty, or decoupled θ ← θ·(1 − lr·λ)", atLeast(0), func(h *kernels.Adam) *float64 { return &h.WeightDecay }).short("wd"),
		flag("decoupled", "AdamW's decoupled weight decay", func(h *kernels.Adam) *bool { return &h.Decoupled }).structural(),
		flag("amsgrad", "use the running maximum of the second moment", func(h *kernels.Adam) *bool { return &h.AMSGrad }).structural(),
		flag("maximize", "ascend instead of descend", func(h *kernels.Adam) *bool { return &h.Maximize }),
	},
	state:    []StateTensor{{Name: "exp_avg", Signed: true}, {Name: "exp_avg_sq"}, {Name: "max_exp_avg_sq", When: "amsgrad"}},
	validate: kernels.Adam.Validate,
	scalars:  kernels.Adam.Scalars,
	k32:      bindAdam[float32],
	k64:      bindAdam[float64],
	m32:      bindAdamMixed[float32],
	m64:      bindAdamMixed[float64],
})

func bindAdamMixed[T kernels.Float](s *kernels.AdamScalars, x *kernels.Mixed[T]) mixedFunc {
	name := "AMSGrad"
	if st := x.State[2]; st.Native == nil && st.Q == nil {
		x.State, name = x.State[:2], "Adam"
	}
	mustCheck(x.Check(name))
	return func(lo, hi int, _ bool, sc *kernels.Scratch) { kernels.AdamStepMixed(x, lo, hi, sc, s) }
}

func bindAdam[T kernels.Float](s *kernels.AdamScalars, p, g []T, st [][]T) stepFunc {
	m, v := st[0], st[1]
	if vmax := st[2]; vmax != nil {
		return func(lo, hi int, _ bool) {
			kernels.AMSGradStep(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], vmax[lo:hi], s)
		}
	}
	return func(lo, hi int, _ bool) { kernels.AdamStep(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], s) }
}

var (
	beta1Tune = Tune{Min: 0.8, Max: 0.99}
	beta2Tune = Tune{Min: 1e-4, Max: 1e-1, Log: true, Complement: true} // β2 ∈ [0.9, 0.9999]
	epsTune   = Tune{Log: true}                                         // searchable, the default unless told
	adamTune  = map[string]Tune{"lr": lrTune, "beta1": beta1Tune, "beta2": beta2Tune, "eps": epsTune, "weight_decay": wdTune}

	_ = adamRule.alias(aliasOf[kernels.Adam]{
		name: "adam", order: 20, trainLR: 0.01,
		doc:      "Adam, torch.optim.Adam",
		defaults: kernels.DefaultAdam(),
		tune:     adamTune,
	})
	_ = adamRule.alias(aliasOf[kernels.Adam]{
		name: "adamw", order: 21, trainLR: 0.01,
		doc:      "Adam with decoupled weight decay (default 0.01), torch.optim.AdamW",
		defaults: kernels.DefaultAdamW(),
		fixed:    []string{"decoupled"},
		tune:     adamTune,
	})
	_ = adamRule.alias(aliasOf[kernels.Adam]{
		name: "amsgrad", order: 22, trainLR: 0.01,
		doc:      "Adam with the running maximum of the second moment, torch.optim.Adam(amsgrad=True)",
		defaults: kernels.Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, AMSGrad: true},
		fixed:    []string{"amsgrad"},
		tune:     adamTune,
	})
)
