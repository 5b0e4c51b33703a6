package schedule

import (
	"math"
	"slices"
	"sort"
)

// Step decays the learning rate by Gamma every StepSize steps, like PyTorch's
// StepLR: LR(step, base) = base·γ^⌊step/StepSize⌋: the rate drops after
// every StepSize updates.
type Step struct {
	stepSize int
	gamma    float64
}

// NewStep returns StepLR(step_size=stepSize, gamma=gamma). stepSize must be
// at least 1 and gamma finite and positive (PyTorch's default is 0.1; values
// above 1 grow the rate, which is allowed).
func NewStep(stepSize int, gamma float64) (*Step, error) {
	if stepSize < 1 {
		return nil, errorf("NewStep", "step size %d, want ≥ 1", stepSize)
	}
	if !(gamma > 0) || !finite(gamma) {
		return nil, errorf("NewStep", "gamma %v, want finite and > 0", gamma)
	}
	return &Step{stepSize: stepSize, gamma: gamma}, nil
}

// LR returns base·γ^⌊step/StepSize⌋.
func (s *Step) LR(step int, base float64) float64 {
	return base * math.Pow(s.gamma, float64(epoch(step)/s.stepSize))
}

// MultiStep decays the learning rate by Gamma at each milestone, like
// PyTorch's MultiStepLR: after m updates, for every milestone m, the rate is
// multiplied by γ, so LR(step, base) = base·γ^k with k the number of
// milestones ≤ step. A milestone listed twice counts twice, as in PyTorch.
type MultiStep struct {
	milestones []int // sorted
	gamma      float64
}

// NewMultiStep returns MultiStepLR(milestones, gamma). Milestones must be
// non-negative; they need not be sorted (a sorted copy is kept). gamma must be
// finite and positive.
func NewMultiStep(milestones []int, gamma float64) (*MultiStep, error) {
	for _, m := range milestones {
		if m < 0 {
			return nil, errorf("NewMultiStep", "milestone %d, want ≥ 0", m)
		}
	}
	if !(gamma > 0) || !finite(gamma) {
		return nil, errorf("NewMultiStep", "gamma %v, want finite and > 0", gamma)
	}
	ms := slices.Clone(milestones)
	slices.Sort(ms)
	return &MultiStep{milestones: ms, gamma: gamma}, nil
}

// LR returns base·γ^k, k = number of milestones ≤ step.
func (s *MultiStep) LR(step int, base float64) float64 {
	e := epoch(step)
	k := sort.Search(len(s.milestones), func(i int) bool { return s.milestones[i] > e })
	return base * math.Pow(s.gamma, float64(k))
}

// Exponential decays the learning rate by Gamma every step, like PyTorch's
// ExponentialLR: LR(step, base) = base·γ^step.
type Exponential struct {
	gamma float64
}

// NewExponential returns ExponentialLR(gamma). gamma must be finite and
// positive; values above 1 (a learning-rate range test) are allowed.
func NewExponential(gamma float64) (*Exponential, error) {
	if !(gamma > 0) || !finite(gamma) {
		return nil, errorf("NewExponential", "gamma %v, want finite and > 0", gamma)
	}
	return &Exponential{gamma: gamma}, nil
}

// LR returns base·γ^step.
func (s *Exponential) LR(step int, base float64) float64 {
	return base * math.Pow(s.gamma, float64(epoch(step)))
}

// Cosine anneals the learning rate from base to EtaMin over TMax steps, like
// PyTorch's CosineAnnealingLR in its closed form:
//
//	LR(step, base) = η_min + (base − η_min)·(1 + cos(π·step/T_max))/2
//
// LR(0) = base and LR(T_max) = η_min. Past that the rate rises again along
// the same cosine (period 2·T_max), exactly as PyTorch's scheduler does when
// stepped beyond T_max; for a run of N updates, T_max = N−1 makes the last
// update use η_min (PyTorch users often pass N, which ends one step short).
type Cosine struct {
	tMax   int
	etaMin float64
}

// NewCosine returns CosineAnnealingLR(T_max=tMax, eta_min=etaMin). tMax must
// be at least 1 and etaMin finite and non-negative.
func NewCosine(tMax int, etaMin float64) (*Cosine, error) {
	if tMax < 1 {
		return nil, errorf("NewCosine", "T_max %d, want ≥ 1", tMax)
	}
	if !(etaMin >= 0) || !finite(etaMin) {
		return nil, errorf("NewCosine", "eta_min %v, want finite and ≥ 0", etaMin)
	}
	return &Cosine{tMax: tMax, etaMin: etaMin}, nil
}

// LR returns η_min + (base − η_min)·(1 + cos(π·step/T_max))/2.
func (s *Cosine) LR(step int, base float64) float64 {
	e := float64(epoch(step))
	return s.etaMin + float64((base-s.etaMin)*(1+cos(math.Pi*e/float64(s.tMax)))/2) // float64: no FMA, same bits on every CPU
}
