package optim

import (
	"errors"

	"github.com/descent-go/descent/kernels"
)

// The schedulefree rule: Schedule-Free AdamW (Defazio et al. 2024) with
// facebookresearch/schedule_free's AdamWScheduleFree semantics. Three
// sequences: z (the base AdamW-like iterate, state "z"), x (the weighted
// average of z: what to evaluate and deploy) and y = (1−β1)·z + β1·x (where
// gradients are taken). In training mode the parameters hold y; Eval
// switches them to x and Train back to y. One fused pass per tensor
// (kernels.ScheduleFreeStep) updates y, z and the second moment from the
// gradient at y; the average's weights (warm-up, r, weight_lr_power) are
// per-group scalars advanced once per step (kernels.ScheduleFree.Next)
// whose running sums are saved in checkpoints ("group.<g>.weight_sum",
// "group.<g>.lr_max", "group.<g>.eval_mode").
//
// Unlike PyTorch's optimizer, which starts in evaluation mode and must be
// switched with train() before the first step, an optimizer starts in
// training mode. Step refuses to run while a group is in evaluation mode.

// KindScheduleFree is the rule of schedulefree.
const KindScheduleFree Kind = "schedulefree"

// ErrEvalMode is returned by Step while the optimizer is in evaluation mode
// (Eval): call Train first.
var ErrEvalMode = errors.New("optim: schedulefree: step in evaluation mode (call Train before Step)")

// sfState is Schedule-Free's per-group scalars: the step's and the running
// sums, with the mode (1: the parameters hold x).
type sfState struct {
	kernels.ScheduleFreeScalars
	eval float64
}

var sfRule = register(&rule[kernels.ScheduleFree, sfState]{
	kind: KindScheduleFree,
	params: []param[kernels.ScheduleFree]{
		num("lr", "learning rate", atLeast(0), func(h *kernels.ScheduleFree) *float64 { return &h.LR }),
		num("beta1", "interpolation β1: y = (1−β1)·z + β1·x", Interval{Min: 0, Max: 1, MinOpen: true, MaxOpen: true}, func(h *kernels.ScheduleFree) *float64 { return &h.Beta1 }),
		num("beta2", "decay β2 of the second moment", unitOpen(), func(h *kernels.ScheduleFree) *float64 { return &h.Beta2 }),
		num("eps", "ε added to the denominator", above(0), func(h *kernels.ScheduleFree) *float64 { return &h.Eps }),
		num("weight_decay", "weight decay λ, on the gradient at y", atLeast(0), func(h *kernels.ScheduleFree) *float64 { return &h.WeightDecay }).short("wd"),
		num("warmup_steps", "linear learning-rate warm-up steps (an integer)", Interval{Min: 0, Max: 1e15}, func(h *kernels.ScheduleFree) *float64 { return &h.WarmupSteps }),
		num("r", "the average's weights grow as t^r", atLeast(0), func(h *kernels.ScheduleFree) *float64 { return &h.R }),
		num("weight_lr_power", "the average's weights grow as lr_max^power", atLeast(0), func(h *kernels.ScheduleFree) *float64 { return &h.WeightLRPower }),
	},
	state:    []StateTensor{{Name: "z"}, {Name: "exp_avg_sq"}},
	validate: kernels.ScheduleFree.Validate,
	next: func(s *sfState, h kernels.ScheduleFree, t int, gs float64) {
		h.Next(&s.ScheduleFreeScalars, t, gs)
	},
	persist: []persisted[sfState]{
		{"weight_sum", func(s *sfState) *float64 { return &s.WeightSum }},
		{"lr_max", func(s *sfState) *float64 { return &s.LRMax }},
		{"eval_mode", func(s *sfState) *float64 { return &s.eval }},
	},
	ready: func(s *sfState) error {
		if s.eval != 0 {
			return ErrEvalMode
		}
		return nil
	},
	k32: bindScheduleFree[float32],
	k64: bindScheduleFree[float64],
})

func bindScheduleFree[T kernels.Float](s *sfState, p, g []T, st [][]T) stepFunc {
	z, v := st[0], st[1]
	return func(lo, hi int, first bool) {
		kernels.ScheduleFreeStep(p[lo:hi], g[lo:hi], z[lo:hi], v[lo:hi], &s.ScheduleFreeScalars, first)
	}
}

var _ = sfRule.alias(aliasOf[kernels.ScheduleFree]{
	name: "schedulefree", order: 61, trainLR: 0.01,
	doc:      "Schedule-Free AdamW: no schedule, evaluate at the average (AdamWScheduleFree; Eval/Train switch the parameters)",
	defaults: kernels.DefaultScheduleFree(),
	tune: map[string]Tune{
		"lr": {Grid: []float64{1e-3, 2.5e-3, 1e-2}, Min: 1e-4, Max: 1e-1, Log: true}, "beta1": beta1Tune, "beta2": beta2Tune,
		"weight_decay": wdTune, "warmup_steps": {},
	},
})

// Eval switches the parameters of a Schedule-Free optimizer to the
// averaged point x, where a model is evaluated, saved for deployment or
// checkpointed for inference (AdamWScheduleFree.eval): per element,
// θ ← θ + (1 − 1/β1)·(z − θ). Groups already in evaluation mode, and those
// that have not stepped yet (θ is x already), only record the mode; Step
// refuses to run until Train. For the other algorithms, whose parameters
// are the evaluation point, Eval does nothing, so a training loop may call
// it whatever the algorithm.
func (o *Optimizer) Eval() { o.switchMode(1) }

// Train switches the parameters of a Schedule-Free optimizer back to the
// point y where gradients are taken (AdamWScheduleFree.train): θ ← θ +
// (1 − β1)·(z − θ). It does nothing in training mode and for the other
// algorithms.
func (o *Optimizer) Train() { o.switchMode(0) }

// Evaluating reports whether a Schedule-Free optimizer's parameters hold
// the average x (Eval); false for the other algorithms.
func (o *Optimizer) Evaluating() bool {
	for _, g := range o.c.groups {
		if h, ok := g.h.(*hyperOf[kernels.ScheduleFree, sfState]); ok && h.s.eval != 0 {
			return true
		}
	}
	return false
}

func (o *Optimizer) switchMode(eval float64) {
	c := o.c
	for gi := range c.groups {
		g := &c.groups[gi]
		h, ok := g.h.(*hyperOf[kernels.ScheduleFree, sfState])
		if !ok || h.s.eval == eval {
			continue
		}
		h.s.eval = eval
		if c.step == g.born {
			continue // no step yet: z is not set, and x = y = θ
		}
		for _, ti := range g.params {
			switch t := c.tensors[ti].(type) {
			case *tensor[float32]:
				sfMove(t.p, t.state[0], h.h.Beta1, eval != 0)
			case *tensor[float64]:
				sfMove(t.p, t.state[0], h.h.Beta1, eval != 0)
			}
		}
	}
}

func sfMove[T kernels.Float](p, z []T, beta1 float64, toX bool) {
	if toX {
		kernels.ScheduleFreeToX(p, z, beta1)
	} else {
		kernels.ScheduleFreeToY(p, z, beta1)
	}
}
