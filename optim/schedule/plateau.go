package schedule

import (
	"math"
	"sync"
)

// Mode says whether Plateau's metric improves downwards (Min, a loss) or
// upwards (Max, an accuracy).
type Mode int

const (
	Min Mode = iota // lower is better (PyTorch's mode="min")
	Max             // higher is better (mode="max")
)

// ThresholdMode says how Plateau's Threshold measures a significant
// improvement: Rel (relative to the best value so far) or Abs (absolute).
type ThresholdMode int

const (
	Rel ThresholdMode = iota // threshold_mode="rel"
	Abs                      // threshold_mode="abs"
)

// PlateauConfig configures Plateau. DefaultPlateau fills in PyTorch's
// defaults; change fields from there.
type PlateauConfig struct {
	Mode Mode // Min (default) or Max
	// Factor multiplies the rate at each reduction, in (0, 1). Default 0.1.
	Factor float64
	// Patience is the number of observations without improvement tolerated;
	// the rate is reduced at the Patience+1-th. ≥ 0, default 10.
	Patience int
	// Threshold is the least improvement that counts: in Rel mode the metric
	// must beat best·(1 ∓ Threshold) (Threshold in [0, 1)), in Abs mode
	// best ∓ Threshold (Threshold ≥ 0). Default 1e-4, Rel.
	Threshold     float64
	ThresholdMode ThresholdMode
	// Cooldown is the number of observations after a reduction during which
	// bad observations are not counted. ≥ 0, default 0.
	Cooldown int
	// MinLR is the lower bound of the rate (≥ 0), default 0. PyTorch also
	// accepts one bound per group; here one bound serves every group.
	MinLR float64
	// Eps: a reduction smaller than Eps is not applied (≥ 0). Default 1e-8.
	Eps float64
}

// DefaultPlateau returns PyTorch's ReduceLROnPlateau defaults: mode min,
// factor 0.1, patience 10, threshold 1e-4 relative, cooldown 0, min_lr 0,
// eps 1e-8.
func DefaultPlateau() PlateauConfig {
	return PlateauConfig{
		Mode:          Min,
		Factor:        0.1,
		Patience:      10,
		Threshold:     1e-4,
		ThresholdMode: Rel,
		Eps:           1e-8,
	}
}

// Plateau is PyTorch's ReduceLROnPlateau: it lowers the learning rate by
// Factor when the metric given to Observe has stopped improving for more
// than Patience observations.
//
// Observe(metric) plays the part of PyTorch's scheduler.step(metric): call it
// after the optimizer steps (once per epoch, or per evaluation) with the
// metric measured then. ObserveLoss does the same for optim's LossObserver,
// so Optimizer.ObserveLoss feeds it. A reduction applies to every LR call after the
// Observe that triggered it. LR ignores the step number: its rate depends
// only on the reductions so far.
//
// Each reduction replays PyTorch's per-group update on the group's rate,
// starting from base: new = max(old·Factor, MinLR), applied only when
// old − new > Eps. Every group sharing the schedule is thus reduced exactly
// as PyTorch reduces each of its param groups (with one MinLR for all).
//
// Plateau is Stateful; its state is the best metric, the counters and the
// number of reductions. Its methods may be called from several goroutines.
type Plateau struct {
	cfg PlateauConfig

	mu         sync.Mutex
	best       float64
	numBad     int
	cooldown   int // cooldown_counter
	lastEpoch  int // observations so far
	reductions int
}

// NewPlateau validates c and returns the schedule.
func NewPlateau(c PlateauConfig) (*Plateau, error) {
	const fn = "NewPlateau"
	switch {
	case c.Mode != Min && c.Mode != Max:
		return nil, errorf(fn, "unknown mode %d", int(c.Mode))
	case c.ThresholdMode != Rel && c.ThresholdMode != Abs:
		return nil, errorf(fn, "unknown threshold mode %d", int(c.ThresholdMode))
	case !(c.Factor > 0 && c.Factor < 1):
		return nil, errorf(fn, "factor %v, want in (0, 1)", c.Factor)
	case c.Patience < 0:
		return nil, errorf(fn, "patience %d, want ≥ 0", c.Patience)
	case c.Cooldown < 0:
		return nil, errorf(fn, "cooldown %d, want ≥ 0", c.Cooldown)
	case !(c.Threshold >= 0) || !finite(c.Threshold):
		return nil, errorf(fn, "threshold %v, want finite and ≥ 0", c.Threshold)
	case c.ThresholdMode == Rel && !(c.Threshold < 1):
		return nil, errorf(fn, "relative threshold %v, want < 1", c.Threshold)
	case !(c.MinLR >= 0) || !finite(c.MinLR):
		return nil, errorf(fn, "min lr %v, want finite and ≥ 0", c.MinLR)
	case !(c.Eps >= 0) || !finite(c.Eps):
		return nil, errorf(fn, "eps %v, want finite and ≥ 0", c.Eps)
	}
	p := &Plateau{cfg: c}
	p.best = p.worst()
	return p, nil
}

// worst is the initial best value: +Inf in Min mode, −Inf in Max mode.
func (p *Plateau) worst() float64 {
	if p.cfg.Mode == Min {
		return math.Inf(1)
	}
	return math.Inf(-1)
}

func (p *Plateau) isBetter(a float64) bool {
	c := &p.cfg
	switch {
	case c.Mode == Min && c.ThresholdMode == Rel:
		return a < p.best*(1-c.Threshold)
	case c.Mode == Min:
		return a < p.best-c.Threshold
	case c.ThresholdMode == Rel:
		return a > p.best*(c.Threshold+1)
	default:
		return a > p.best+c.Threshold
	}
}

// Observe records one value of the metric and reports whether it triggered
// a reduction of the learning rate. A NaN metric counts as no improvement.
func (p *Plateau) Observe(metric float64) (reduced bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastEpoch++
	if p.isBetter(metric) {
		p.best = metric
		p.numBad = 0
	} else {
		p.numBad++
	}
	if p.cooldown > 0 {
		p.cooldown--
		p.numBad = 0 // bad observations in cooldown are ignored
	}
	if p.numBad > p.cfg.Patience {
		p.reductions++
		p.cooldown = p.cfg.Cooldown
		p.numBad = 0
		return true
	}
	return false
}

// LR returns base reduced by every reduction so far (step is ignored).
func (p *Plateau) LR(step int, base float64) float64 {
	p.mu.Lock()
	n := p.reductions
	p.mu.Unlock()
	return p.reduce(base, n)
}

// reduce applies n of PyTorch's _reduce_lr updates to lr. Once an update is
// refused (clamped at MinLR or smaller than Eps) every later one is too, so
// the loop ends early.
func (p *Plateau) reduce(lr float64, n int) float64 {
	for ; n > 0; n-- {
		next := math.Max(lr*p.cfg.Factor, p.cfg.MinLR)
		if !(lr-next > p.cfg.Eps) {
			break
		}
		lr = next
	}
	return lr
}

// ObserveLoss is Observe without its result, for optim.LossObserver.
func (p *Plateau) ObserveLoss(loss float64) { p.Observe(loss) }

// Reductions returns the number of reductions triggered so far.
func (p *Plateau) Reductions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reductions
}

// Best returns the best metric observed so far (±Inf before the first).
func (p *Plateau) Best() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.best
}

// Config returns the configuration the schedule was built with.
func (p *Plateau) Config() PlateauConfig { return p.cfg }

// Plateau state keys.
const (
	keyBest       = "best"             // best metric so far; ±Inf before any
	keyNumBad     = "num_bad_epochs"   // observations without improvement
	keyCooldown   = "cooldown_counter" // observations of cooldown left
	keyLastEpoch  = "last_epoch"       // observations so far
	keyReductions = "reductions"       // reductions so far
)

// State returns the keys "best", "num_bad_epochs", "cooldown_counter" and
// "last_epoch" (PyTorch's state_dict names) and "reductions". best is ±Inf
// until a metric has been observed; a checkpoint format must keep infinities
// (optim's exact decimal strings do: "+Inf").
func (p *Plateau) State() map[string]float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return map[string]float64{
		keyBest:       p.best,
		keyNumBad:     float64(p.numBad),
		keyCooldown:   float64(p.cooldown),
		keyLastEpoch:  float64(p.lastEpoch),
		keyReductions: float64(p.reductions),
	}
}

// SetState restores a state returned by State. It requires exactly State's
// keys, a non-NaN best, non-negative integer counters with num_bad_epochs ≤
// Patience, cooldown_counter ≤ Cooldown and reductions ≤ last_epoch, and
// changes nothing when it returns an error.
func (p *Plateau) SetState(m map[string]float64) error {
	const fn = "Plateau"
	if err := checkKeys(fn, m, keyBest, keyNumBad, keyCooldown, keyLastEpoch, keyReductions); err != nil {
		return err
	}
	best := m[keyBest]
	if math.IsNaN(best) {
		return stateErrorf(fn, "best is NaN")
	}
	numBad, err := count(fn, m, keyNumBad)
	if err != nil {
		return err
	}
	cool, err := count(fn, m, keyCooldown)
	if err != nil {
		return err
	}
	last, err := count(fn, m, keyLastEpoch)
	if err != nil {
		return err
	}
	red, err := count(fn, m, keyReductions)
	if err != nil {
		return err
	}
	switch {
	case numBad > p.cfg.Patience:
		return stateErrorf(fn, "num_bad_epochs %d exceeds patience %d", numBad, p.cfg.Patience)
	case cool > p.cfg.Cooldown:
		return stateErrorf(fn, "cooldown_counter %d exceeds cooldown %d", cool, p.cfg.Cooldown)
	case red > last:
		return stateErrorf(fn, "reductions %d exceed observations %d", red, last)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.best, p.numBad, p.cooldown, p.lastEpoch, p.reductions = best, numBad, cool, last, red
	return nil
}
