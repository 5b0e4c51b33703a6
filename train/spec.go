package train

import (
	"fmt"
	"strings"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/optim/schedule"
)

// Optimizer kinds accepted by OptimSpec.Kind.
const (
	SGD      = "sgd"      // plain (stochastic) gradient descent
	Momentum = "momentum" // SGD with heavy-ball momentum
	Nesterov = "nesterov" // SGD with Nesterov momentum
	Adam     = "adam"
	AdamW    = "adamw" // Adam with decoupled weight decay
	AMSGrad  = "amsgrad"
)

// Kinds lists the optimizer kinds, in a fixed order.
func Kinds() []string { return []string{SGD, Momentum, Nesterov, Adam, AdamW, AMSGrad} }

// OptimSpec describes an optimizer of package optim by value, so that a
// training run or a search trial can build its own.
//
// Zero fields take defaults: Momentum 0.9 (kinds momentum and nesterov),
// Beta1 0.9, Beta2 0.999, Eps 1e-8, Workers 1. LR and WeightDecay are used as
// given (a zero weight decay is none, also for adamw). A Beta1 of exactly 0
// therefore cannot be asked for.
type OptimSpec struct {
	Kind        string  // one of Kinds(); "" is sgd
	LR          float64 // base learning rate
	Momentum    float64 // μ for momentum and nesterov
	Beta1       float64
	Beta2       float64
	Eps         float64
	WeightDecay float64 // L2 penalty (sgd, momentum, nesterov, adam, amsgrad) or decoupled decay (adamw)
	Workers     int     // optimizer goroutines; 0 means 1
}

// withDefaults fills in the zero fields.
func (s OptimSpec) withDefaults() OptimSpec {
	if s.Kind == "" {
		s.Kind = SGD
	}
	s.Kind = strings.ToLower(s.Kind)
	if s.Momentum == 0 && (s.Kind == Momentum || s.Kind == Nesterov) {
		s.Momentum = 0.9
	}
	if s.Beta1 == 0 {
		s.Beta1 = 0.9
	}
	if s.Beta2 == 0 {
		s.Beta2 = 0.999
	}
	if s.Eps == 0 {
		s.Eps = 1e-8
	}
	if s.Workers == 0 {
		s.Workers = 1
	}
	return s
}

// IsAdam reports whether the kind is of the Adam family.
func (s OptimSpec) IsAdam() bool {
	k := strings.ToLower(s.Kind)
	return k == Adam || k == AdamW || k == AMSGrad
}

// String describes the optimizer and the hyper-parameters its kind uses.
func (s OptimSpec) String() string {
	s = s.withDefaults()
	switch s.Kind {
	case Momentum, Nesterov:
		return fmt.Sprintf("%s(lr=%.4g, momentum=%.4g, wd=%.4g)", s.Kind, s.LR, s.Momentum, s.WeightDecay)
	case Adam, AdamW, AMSGrad:
		return fmt.Sprintf("%s(lr=%.4g, betas=(%.4g, %.4g), wd=%.4g)", s.Kind, s.LR, s.Beta1, s.Beta2, s.WeightDecay)
	}
	return fmt.Sprintf("%s(lr=%.4g, wd=%.4g)", s.Kind, s.LR, s.WeightDecay)
}

// New builds the optimizer over params with the given schedule (nil: constant
// learning rate), with optim.WithFiniteCheck and WithWorkers(Workers) ahead of
// opts. It returns an error for an unknown kind or hyper-parameters that optim
// rejects.
func (s OptimSpec) New(params []optim.Param, sched optim.Schedule, opts ...optim.Option) (*optim.Optimizer, error) {
	s = s.withDefaults()
	all := append([]optim.Option{optim.WithFiniteCheck(), optim.WithWorkers(s.Workers)}, opts...)
	switch s.Kind {
	case SGD, Momentum, Nesterov:
		h := kernels.SGD{LR: s.LR, WeightDecay: s.WeightDecay}
		if s.Kind != SGD {
			h.Momentum = s.Momentum
			h.Nesterov = s.Kind == Nesterov
		}
		return optim.NewSGD([]optim.SGDGroup{{Params: params, Hyper: h, Schedule: sched}}, all...)
	case Adam, AdamW, AMSGrad:
		h := kernels.Adam{LR: s.LR, Beta1: s.Beta1, Beta2: s.Beta2, Eps: s.Eps, WeightDecay: s.WeightDecay,
			Decoupled: s.Kind == AdamW, AMSGrad: s.Kind == AMSGrad}
		return optim.NewAdam([]optim.AdamGroup{{Params: params, Hyper: h, Schedule: sched}}, all...)
	}
	return nil, fmt.Errorf("train: unknown optimizer %q (want one of %s)", s.Kind, strings.Join(Kinds(), ", "))
}

// Schedule kinds accepted by ScheduleSpec.Kind.
const (
	Constant = "constant"
	Cosine   = "cosine"
	StepLR   = "step"
	OneCycle = "onecycle"
	Plateau  = "plateau"
)

// ScheduleKinds lists the schedule kinds, in a fixed order.
func ScheduleKinds() []string { return []string{Constant, Cosine, StepLR, OneCycle, Plateau} }

// ScheduleSpec describes a learning-rate schedule of package optim/schedule
// over a run of a known number of optimizer steps.
//
//	constant   the base rate
//	cosine     cosine annealing to 0 at the last step
//	step       ×Gamma (default 0.1) every StepSize steps (default a third of the run)
//	onecycle   PyTorch's OneCycleLR peaking at the base rate
//	plateau    ×Factor (default 0.1) when the monitored loss has not improved
//	           for Patience epochs (default 2); the training loop feeds it
//	           once per epoch
//
// Warmup > 0 wraps any of them in a linear warm-up over that many steps from
// 1% of the rate (schedule.Warmup); the inner schedule then spans the
// remaining steps.
type ScheduleSpec struct {
	Kind     string // one of ScheduleKinds(); "" is constant
	Warmup   int    // warm-up steps
	StepSize int    // step: steps between decays
	Gamma    float64
	Patience int // plateau: epochs without improvement
	Factor   float64
}

// New builds the schedule for a run of totalSteps optimizer steps.
func (s ScheduleSpec) New(totalSteps int) (optim.Schedule, error) {
	if s.Warmup < 0 {
		return nil, fmt.Errorf("train: negative warm-up %d", s.Warmup)
	}
	rest := totalSteps - s.Warmup
	if rest < 1 {
		rest = 1
	}
	var inner optim.Schedule
	var err error
	switch strings.ToLower(s.Kind) {
	case "", Constant:
		inner = schedule.Constant{}
	case Cosine:
		inner, err = schedule.NewCosine(max(rest-1, 1), 0)
	case StepLR:
		size, gamma := s.StepSize, s.Gamma
		if size == 0 {
			size = max(rest/3, 1)
		}
		if gamma == 0 {
			gamma = 0.1
		}
		inner, err = schedule.NewStep(size, gamma)
	case OneCycle:
		inner, err = schedule.NewOneCycle(schedule.DefaultOneCycle(0, rest))
	case Plateau:
		c := schedule.DefaultPlateau()
		c.Patience = 2
		if s.Patience > 0 {
			c.Patience = s.Patience
		}
		if s.Factor != 0 {
			c.Factor = s.Factor
		}
		inner, err = schedule.NewPlateau(c)
	default:
		return nil, fmt.Errorf("train: unknown schedule %q (want one of %s)", s.Kind, strings.Join(ScheduleKinds(), ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("train: schedule %s: %w", s.Kind, err)
	}
	if s.Warmup == 0 {
		return inner, nil
	}
	w, err := schedule.NewWarmup(inner, s.Warmup, 0.01)
	if err != nil {
		return nil, fmt.Errorf("train: warm-up: %w", err)
	}
	return w, nil
}
