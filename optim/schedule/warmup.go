package schedule

// Warmup ramps the learning rate linearly over its first W updates and then
// hands over to an inner schedule, which starts again from its own step 0:
//
//	step < W:  LR = base·(s + (1 − s)·step/W)
//	step ≥ W:  LR = inner.LR(step − W, base)
//
// with W = steps and s = startFactor. This is PyTorch's
// SequentialLR([LinearLR(start_factor=s, end_factor=1, total_iters=W), inner],
// milestones=[W]): at the milestone SequentialLR restarts the inner scheduler
// at its epoch 0, so the inner schedule's first rate (base, for all of them
// but OneCycle) follows the last warm-up rate base·(s + (1−s)·(W−1)/W).
// A cosine that should reach η_min at the last of N updates therefore takes
// T_max = N − W − 1.
type Warmup struct {
	inner       Schedule
	steps       int
	startFactor float64
}

// NewWarmup wraps inner in a linear warm-up of steps steps starting at
// startFactor·base. steps must be ≥ 0 (0: no warm-up, inner unchanged) and
// startFactor in [0, 1]. PyTorch's LinearLR requires start_factor > 0 (its
// recursive form divides by it); here 0 is allowed and makes the first step's
// rate 0, as other libraries' warm-ups do.
//
// Warmup is Stateful and a LossObserver; both forward to the inner schedule
// (and do nothing for an inner schedule without state or metric), so a
// Warmup around a Plateau is checkpointed and fed like the Plateau itself.
func NewWarmup(inner Schedule, steps int, startFactor float64) (*Warmup, error) {
	if inner == nil {
		return nil, errorf("NewWarmup", "nil inner schedule")
	}
	if steps < 0 {
		return nil, errorf("NewWarmup", "warm-up steps %d, want ≥ 0", steps)
	}
	if !(startFactor >= 0 && startFactor <= 1) {
		return nil, errorf("NewWarmup", "start factor %v, want in [0, 1]", startFactor)
	}
	return &Warmup{inner: inner, steps: steps, startFactor: startFactor}, nil
}

// LR returns the warm-up rate for steps 0…W−1 and inner.LR(step−W, base) after.
func (w *Warmup) LR(step int, base float64) float64 {
	e := epoch(step)
	if e < w.steps {
		// LinearLR's closed form with end_factor 1, in its order of operations.
		return base * (w.startFactor + (1-w.startFactor)*float64(e)/float64(w.steps))
	}
	return w.inner.LR(e-w.steps, base)
}

// Inner returns the wrapped schedule.
func (w *Warmup) Inner() Schedule { return w.inner }

// ObserveLoss forwards loss to the inner schedule when it is a LossObserver.
// Do not also feed the inner schedule directly (say, by giving the same
// Plateau to another group unwrapped): it would see each loss twice.
func (w *Warmup) ObserveLoss(loss float64) {
	if o, ok := w.inner.(LossObserver); ok {
		o.ObserveLoss(loss)
	}
}

// State returns the inner schedule's state when it is Stateful, else an empty
// map. The warm-up itself has no state: its rate depends only on the step.
func (w *Warmup) State() map[string]float64 {
	if s, ok := w.inner.(Stateful); ok {
		return s.State()
	}
	return map[string]float64{}
}

// SetState restores the inner schedule's state; for a stateless inner
// schedule it accepts only an empty map.
func (w *Warmup) SetState(m map[string]float64) error {
	if s, ok := w.inner.(Stateful); ok {
		return s.SetState(m)
	}
	return checkKeys("Warmup", m)
}
