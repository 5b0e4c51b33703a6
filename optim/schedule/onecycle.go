package schedule

import "math"

// Anneal is OneCycle's interpolation between a phase's end points.
type Anneal int

const (
	// AnnealCos interpolates along half a cosine: end + (start−end)/2·(cos(π·pct)+1).
	AnnealCos Anneal = iota
	// AnnealLinear interpolates linearly: (end−start)·pct + start.
	AnnealLinear
)

// OneCycleConfig configures OneCycle. DefaultOneCycle fills in PyTorch's
// defaults; change fields from there.
type OneCycleConfig struct {
	// MaxLR is the peak learning rate. Zero means "the group's base lr":
	// each group then peaks at its own configured rate (PyTorch's per-group
	// max_lr list).
	MaxLR float64
	// TotalSteps is the number of optimizer steps in the cycle (≥ 1).
	TotalSteps int
	// PctStart is the fraction of the cycle spent increasing the rate, in
	// [0, 1]. Default 0.3.
	PctStart float64
	// Anneal is AnnealCos (default) or AnnealLinear.
	Anneal Anneal
	// DivFactor sets the initial rate MaxLR/DivFactor (> 0). Default 25.
	DivFactor float64
	// FinalDivFactor sets the final rate MaxLR/DivFactor/FinalDivFactor (> 0).
	// Default 1e4.
	FinalDivFactor float64
	// ThreePhase uses three phases (up, back down to the initial rate, then
	// down to the final rate) instead of two. Default false.
	ThreePhase bool
	// BaseMomentum and MaxMomentum bound the momentum cycle, in [0, 1).
	// Defaults 0.85 and 0.95.
	BaseMomentum, MaxMomentum float64
	// CycleMomentum makes optimizers use Momentum(step) as each update's
	// momentum or β1 (PyTorch's cycle_momentum; see optim.MomentumCycler).
	// Default true.
	CycleMomentum bool
}

// DefaultOneCycle returns PyTorch's OneCycleLR defaults for the given peak
// rate and cycle length: pct_start 0.3, cosine annealing, div_factor 25,
// final_div_factor 1e4, two phases, momentum between 0.85 and 0.95.
func DefaultOneCycle(maxLR float64, totalSteps int) OneCycleConfig {
	return OneCycleConfig{
		MaxLR:          maxLR,
		TotalSteps:     totalSteps,
		PctStart:       0.3,
		Anneal:         AnnealCos,
		DivFactor:      25,
		FinalDivFactor: 1e4,
		BaseMomentum:   0.85,
		MaxMomentum:    0.95,
		CycleMomentum:  true,
	}
}

// OneCycle is PyTorch's OneCycleLR (the 1cycle policy): the rate rises from
// MaxLR/DivFactor to MaxLR over the first PctStart of the cycle, then falls
// to MaxLR/(DivFactor·FinalDivFactor) at the last step, while the momentum
// moves the opposite way between MaxMomentum and BaseMomentum.
//
// Unlike the other schedules it does not scale base: like PyTorch, which
// overwrites the group's initial_lr, its rates are set by MaxLR (or by base
// alone, when MaxLR is 0).
//
// Momentum returns the momentum PyTorch's cycle_momentum writes into the
// group for the same step: SGD's momentum, or β1 of Adam-family optimizers
// (PyTorch sets betas[0]). With CycleMomentum, optim's Optimizer uses it
// for each update (OneCycle implements optim.MomentumCycler); without, only
// the learning rate cycles (cycle_momentum=False).
//
// Steps run from 0 to TotalSteps−1. PyTorch evaluates one more (step
// TotalSteps, its last phase extrapolated past its end) and raises an error
// after that; here every step ≥ TotalSteps returns the final rate and
// momentum, the values of step TotalSteps−1.
type OneCycle struct {
	cfg    OneCycleConfig
	phases []ocPhase
}

// ocPhase is one phase: it ends at endStep (PyTorch's last_epoch units,
// a float as in PyTorch) and goes between the named end points.
type ocPhase struct {
	endStep          float64
	startLR, endLR   ocPoint
	startMom, endMom ocPoint
}

type ocPoint int

const (
	ocInitial ocPoint = iota // lr: max/div
	ocMax                    // lr: max; momentum: max
	ocMin                    // lr: max/div/final_div
	ocBase                   // momentum: base
)

// NewOneCycle validates c and returns the schedule.
func NewOneCycle(c OneCycleConfig) (*OneCycle, error) {
	const fn = "NewOneCycle"
	switch {
	case c.TotalSteps < 1:
		return nil, errorf(fn, "total steps %d, want ≥ 1", c.TotalSteps)
	case !(c.MaxLR >= 0) || !finite(c.MaxLR):
		return nil, errorf(fn, "max lr %v, want finite and ≥ 0 (0: the group's base lr)", c.MaxLR)
	case !(c.PctStart >= 0 && c.PctStart <= 1):
		return nil, errorf(fn, "pct_start %v, want in [0, 1]", c.PctStart)
	case c.Anneal != AnnealCos && c.Anneal != AnnealLinear:
		return nil, errorf(fn, "unknown anneal strategy %d", int(c.Anneal))
	case !(c.DivFactor > 0) || !finite(c.DivFactor):
		return nil, errorf(fn, "div_factor %v, want finite and > 0", c.DivFactor)
	case !(c.FinalDivFactor > 0) || !finite(c.FinalDivFactor):
		return nil, errorf(fn, "final_div_factor %v, want finite and > 0", c.FinalDivFactor)
	case !(c.BaseMomentum >= 0 && c.BaseMomentum < 1):
		return nil, errorf(fn, "base momentum %v, want in [0, 1)", c.BaseMomentum)
	case !(c.MaxMomentum >= 0 && c.MaxMomentum < 1):
		return nil, errorf(fn, "max momentum %v, want in [0, 1)", c.MaxMomentum)
	}
	total := float64(c.TotalSteps)
	// float64(…) rounds the product before the subtraction, as Python
	// does; without it Go may fuse the two into an FMA (it does on arm64)
	// and the phase ends would differ between CPUs.
	end1 := float64(c.PctStart*total) - 1
	if end1 == 0 {
		// PyTorch divides by zero on its first step here.
		return nil, errorf(fn, "pct_start·total_steps = 1 gives a first phase of zero length")
	}
	var ph []ocPhase
	if c.ThreePhase {
		ph = []ocPhase{
			{end1, ocInitial, ocMax, ocMax, ocBase},
			{float64(2*c.PctStart*total) - 2, ocMax, ocInitial, ocBase, ocMax},
			{total - 1, ocInitial, ocMin, ocMax, ocMax},
		}
	} else {
		ph = []ocPhase{
			{end1, ocInitial, ocMax, ocMax, ocBase},
			{total - 1, ocMax, ocMin, ocBase, ocMax},
		}
	}
	return &OneCycle{cfg: c, phases: ph}, nil
}

// locate returns the phase and the fraction of it reached at step, following
// PyTorch's get_lr.
func (s *OneCycle) locate(step int) (ocPhase, float64) {
	e := epoch(step)
	if e > s.cfg.TotalSteps-1 {
		e = s.cfg.TotalSteps - 1
	}
	x := float64(e)
	start := 0.0
	for i, p := range s.phases {
		if x <= p.endStep || i == len(s.phases)-1 {
			return p, (x - start) / (p.endStep - start)
		}
		start = p.endStep
	}
	panic("unreachable")
}

func (s *OneCycle) anneal(a, b, pct float64) float64 {
	if s.cfg.Anneal == AnnealLinear {
		return float64((b-a)*pct) + a // float64: no FMA, same bits on every CPU
	}
	return b + float64((a-b)/2.0*(cos(math.Pi*pct)+1))
}

// LR returns the learning rate of step (see OneCycle).
func (s *OneCycle) LR(step int, base float64) float64 {
	maxLR := s.cfg.MaxLR
	if maxLR == 0 {
		maxLR = base
	}
	initial := maxLR / s.cfg.DivFactor
	value := func(p ocPoint) float64 {
		switch p {
		case ocInitial:
			return initial
		case ocMax:
			return maxLR
		default:
			return initial / s.cfg.FinalDivFactor
		}
	}
	p, pct := s.locate(step)
	return s.anneal(value(p.startLR), value(p.endLR), pct)
}

// Momentum returns the momentum (SGD) or β1 (Adam family) of step, as
// PyTorch's OneCycleLR with cycle_momentum=True sets it.
func (s *OneCycle) Momentum(step int) float64 {
	value := func(p ocPoint) float64 {
		if p == ocBase {
			return s.cfg.BaseMomentum
		}
		return s.cfg.MaxMomentum
	}
	p, pct := s.locate(step)
	return s.anneal(value(p.startMom), value(p.endMom), pct)
}

// CyclesMomentum reports whether optimizers should use Momentum (the
// CycleMomentum option).
func (s *OneCycle) CyclesMomentum() bool { return s.cfg.CycleMomentum }

// Config returns the configuration the schedule was built with.
func (s *OneCycle) Config() OneCycleConfig { return s.cfg }
