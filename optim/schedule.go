package optim

import "reflect"

// Schedule sets a group's learning rate for each update. Concrete schedules
// (step, cosine, warm-up, one-cycle, reduce-on-plateau …) live in package
// optim/schedule; anything with this method will do.
//
// The optimizer calls LR once per group for every update it takes, before
// the update, with step = the number of updates already taken (0 for the
// first, as PyTorch's scheduler.last_epoch when scheduler.step() follows
// every optimizer.step()) and base = the group's base learning rate (its
// hyper-parameters' LR). The result is the group's learning rate for that
// update; it must be finite and ≥ 0, or Step returns an error and changes
// nothing. Steps skipped by the loss scaler do not count and do not call LR,
// so a schedule sees each step number once in an uninterrupted run (after a
// checkpoint is loaded, the count continues from the checkpoint's).
//
// LR is called from the goroutine that calls Step, never concurrently for
// one optimizer, and must not allocate if Step is to stay allocation-free.
// One schedule may serve several groups (it is called once per group, with
// each group's base). A schedule whose result depends on more than (step,
// base) — reduce-on-plateau — implements Stateful so that checkpoints keep
// that state, and LossObserver to be fed the loss.
type Schedule interface {
	LR(step int, base float64) float64
}

// Stateful is implemented by schedules with state beyond the step count.
// A checkpoint stores State's entries in its metadata (under
// "group.<g>.schedule.<key>", values as exact decimal strings) and loading
// it calls SetState with the same map. SetState validates the whole map
// before changing anything and returns an error for missing, unknown or
// out-of-range entries. Keys are non-empty and may not contain '"' or
// control characters.
type Stateful interface {
	State() map[string]float64
	SetState(map[string]float64) error
}

// MomentumCycler is implemented by schedules that set each update's
// momentum as well as its learning rate: schedule.OneCycle, whose
// CycleMomentum option (on in DefaultOneCycle, as PyTorch's
// cycle_momentum=True) makes CyclesMomentum true. In a group with such a
// schedule, the update of step t (0-based, as LR's) uses Momentum(t) in
// place of the group's β1 (adam, adamw, amsgrad, lion) or momentum (sgd,
// momentum, nesterov, and rmsprop, when the group's momentum is > 0), as
// PyTorch writes it into the group's betas or momentum before the update;
// Adam's bias correction then uses it too, as PyTorch's does. The group's
// stored hyper-parameters (Hyper, checkpoints) keep the base value; the
// cycled one is computed from the step count, so a resumed run cycles on
// exactly. A group whose rule has neither (adagrad) or whose momentum is 0
// (no momentum buffer; PyTorch would create one) keeps its own: only its
// learning rate follows the schedule. Momentum must return a value in
// [0, 1), or Step fails.
type MomentumCycler interface {
	CyclesMomentum() bool
	Momentum(step int) float64
}

// cycleIndex returns the index of the hyper-parameter a momentum-cycling
// schedule sets in a group of h, or -1.
func cycleIndex(sched Schedule, h groupHyper) int {
	mc, ok := sched.(MomentumCycler)
	if !ok || !mc.CyclesMomentum() {
		return -1
	}
	if i := h.index("beta1"); i >= 0 {
		return i
	}
	if i := h.index("momentum"); i >= 0 && h.values()["momentum"] > 0 {
		return i
	}
	return -1
}

// LossObserver is implemented by schedules fed by a metric, such as
// reduce-on-plateau: the training loop calls ObserveLoss with the
// validation loss (typically once per epoch, as PyTorch's
// ReduceLROnPlateau.step(metric)), and the schedule's later LR results
// reflect it. Optimizer.ObserveLoss forwards a loss to every distinct
// schedule of its groups that implements LossObserver; a loop may equally
// call the schedule itself.
type LossObserver interface {
	ObserveLoss(loss float64)
}

// ObserveLoss calls ObserveLoss(loss) once on every distinct group schedule
// that implements LossObserver (schedules shared by several groups are fed
// once; two schedules are the same when they are == and of a comparable
// type, such as the same pointer).
func (o *Optimizer) ObserveLoss(loss float64) {
	var fed []Schedule
	for _, g := range o.c.groups {
		lo, ok := g.sched.(LossObserver)
		if !ok {
			continue
		}
		dup := false
		for _, f := range fed {
			if sameSchedule(f, g.sched) {
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		fed = append(fed, g.sched)
		lo.ObserveLoss(loss)
	}
}

func sameSchedule(a, b Schedule) bool {
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	return ta == tb && ta.Comparable() && a == b
}
