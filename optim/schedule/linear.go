package schedule

import "math"

// Linear scales the rate linearly from StartFactor·base to EndFactor·base
// over TotalIters steps and keeps EndFactor·base after, like PyTorch's
// LinearLR: LR(step, base) = base·(s + (e − s)·min(step, n)/n). With
// EndFactor 0 it is linear decay to zero; Warmup is Linear from a small
// factor to 1 followed by another schedule.
type Linear struct {
	start, end float64
	n          int
}

// NewLinear returns LinearLR(start_factor, end_factor, total_iters). As in
// PyTorch, startFactor must be in (0, 1], endFactor in [0, 1] and
// totalIters ≥ 1.
func NewLinear(startFactor, endFactor float64, totalIters int) (*Linear, error) {
	switch {
	case !(startFactor > 0 && startFactor <= 1):
		return nil, errorf("NewLinear", "start factor %v, want in (0, 1]", startFactor)
	case !(endFactor >= 0 && endFactor <= 1):
		return nil, errorf("NewLinear", "end factor %v, want in [0, 1]", endFactor)
	case totalIters < 1:
		return nil, errorf("NewLinear", "total iterations %d, want ≥ 1", totalIters)
	}
	return &Linear{start: startFactor, end: endFactor, n: totalIters}, nil
}

// LR returns base·(s + (e − s)·min(step, n)/n).
func (s *Linear) LR(step int, base float64) float64 {
	k := min(epoch(step), s.n)
	return base * (s.start + (s.end-s.start)*float64(k)/float64(s.n))
}

// Polynomial decays the rate to zero over TotalIters steps along a power
// of the remaining fraction, like PyTorch's PolynomialLR:
// LR(step, base) = base·(1 − min(step, n)/n)^power; zero from step n on.
// Power 1 is linear decay.
type Polynomial struct {
	n     int
	power float64
}

// NewPolynomial returns PolynomialLR(total_iters, power): totalIters ≥ 1,
// power finite and > 0 (PyTorch's defaults are 5 and 1).
func NewPolynomial(totalIters int, power float64) (*Polynomial, error) {
	if totalIters < 1 {
		return nil, errorf("NewPolynomial", "total iterations %d, want ≥ 1", totalIters)
	}
	if !(power > 0) || !finite(power) {
		return nil, errorf("NewPolynomial", "power %v, want finite and > 0", power)
	}
	return &Polynomial{n: totalIters, power: power}, nil
}

// LR returns base·(1 − min(step, n)/n)^power.
func (s *Polynomial) LR(step int, base float64) float64 {
	k := min(epoch(step), s.n)
	return base * math.Pow(1-float64(k)/float64(s.n), s.power)
}

// WarmRestarts is cosine annealing with warm restarts (SGDR), like
// PyTorch's CosineAnnealingWarmRestarts stepped once per update: the rate
// follows a cosine from base to η_min over a period of T_0 steps, then
// restarts at base, each period TMult times longer than the last:
//
//	LR(step, base) = η_min + (base − η_min)·(1 + cos(π·t/T))/2
//
// where T is the current period and t the steps into it. t and T are
// computed exactly, in integers (PyTorch derives them from a logarithm when
// called with an epoch; stepped one update at a time, as here, it counts
// them as integers too).
type WarmRestarts struct {
	t0, mult int
	etaMin   float64
}

// NewWarmRestarts returns CosineAnnealingWarmRestarts(T_0=t0, T_mult=mult,
// eta_min=etaMin): t0 ≥ 1, mult ≥ 1, etaMin finite and ≥ 0.
func NewWarmRestarts(t0, mult int, etaMin float64) (*WarmRestarts, error) {
	switch {
	case t0 < 1:
		return nil, errorf("NewWarmRestarts", "T_0 %d, want ≥ 1", t0)
	case mult < 1:
		return nil, errorf("NewWarmRestarts", "T_mult %d, want ≥ 1", mult)
	case !(etaMin >= 0) || !finite(etaMin):
		return nil, errorf("NewWarmRestarts", "eta_min %v, want finite and ≥ 0", etaMin)
	}
	return &WarmRestarts{t0: t0, mult: mult, etaMin: etaMin}, nil
}

// period returns the steps into the current period and its length.
func (s *WarmRestarts) period(step int) (t, T int) {
	t, T = epoch(step), s.t0
	if s.mult == 1 {
		return t % T, T
	}
	for t >= T { // T grows geometrically: O(log step) turns
		t -= T
		T *= s.mult
	}
	return t, T
}

// LR returns η_min + (base − η_min)·(1 + cos(π·t/T))/2.
func (s *WarmRestarts) LR(step int, base float64) float64 {
	t, T := s.period(step)
	return s.etaMin + float64((base-s.etaMin)*(1+cos(math.Pi*float64(t)/float64(T)))/2) // float64: no FMA, same bits on every CPU
}
