// Package schedule holds learning-rate schedules with PyTorch's semantics
// (torch.optim.lr_scheduler), for descent's optimizers.
//
// # Schedules
//
//	Constant     the base rate, unchanged
//	Step         StepLR: ×γ every StepSize steps
//	MultiStep    MultiStepLR: ×γ at each milestone
//	Exponential  ExponentialLR: ×γ every step
//	Cosine       CosineAnnealingLR: cosine from base to η_min over T_max steps
//	WarmRestarts CosineAnnealingWarmRestarts: cosine periods T_0, T_0·T_mult, …
//	Linear       LinearLR: linear from start to end factor over n steps
//	Polynomial   PolynomialLR: base·(1 − step/n)^power, then 0
//	Warmup       LinearLR followed by any schedule (SequentialLR)
//	OneCycle     OneCycleLR: the 1cycle policy, with its momentum (β1) cycle
//	Plateau      ReduceLROnPlateau: ×factor when a metric stops improving
//
// Constructors (NewStep, NewCosine, NewOneCycle, …) validate their
// configuration and return an error for a bad one; DefaultOneCycle and
// DefaultPlateau give PyTorch's defaults. Warmup wraps any Schedule, e.g.
//
//	cos, _ := schedule.NewCosine(total-warm-1, 0) // η_min at the last of total updates
//	s, _ := schedule.NewWarmup(cos, warm, 0.01)
//	opt, _ := optim.NewAdam([]optim.AdamGroup{{Params: ps, Hyper: h, Schedule: s}})
//
// # Step convention
//
// Every schedule implements
//
//	LR(step int, base float64) float64
//
// (optim.Schedule), which returns the learning rate of the update that follows
// step completed updates — step is 0 for the first update, as optim calls it
// — for a parameter group whose configured rate is base. One schedule
// therefore serves groups with different rates, as a PyTorch scheduler does.
// In PyTorch's terms step is last_epoch when scheduler.step() follows every
// optimizer.step(): LR(step) is the group's lr after construction plus step
// calls of scheduler.step(), the closed form at last_epoch = step. So
// LR(0, base) is base for Step, MultiStep, Exponential and Cosine, and
// base·startFactor for Warmup. Negative steps count as 0.
//
// Plateau ignores the step: its rate changes only when Observe(metric) or
// ObserveLoss(metric) (optim.LossObserver, called by Optimizer.ObserveLoss),
// the counterparts of PyTorch's scheduler.step(metric), trigger a reduction.
//
// # Agreement with PyTorch
//
// PyTorch steps schedulers in a recursive form (each rate computed from the
// previous one); the closed forms used here are mathematically equal and agree
// with PyTorch 1.13's sequences to within 1e-12 relative (in practice
// ≤ 6e-14 over 100 steps) in the tests, which compare against sequences
// recorded from PyTorch (testdata/gen.py). Differences in behaviour, each
// documented on its type:
//   - Cosine past T_max rises again, periodically, as PyTorch's does.
//   - Warmup accepts startFactor 0 (PyTorch's LinearLR does not).
//   - OneCycle returns its final rate for steps past TotalSteps, where PyTorch
//     extrapolates one step and then raises; MaxLR 0 means "each group's own
//     base rate".
//   - Plateau has one MinLR for all groups (PyTorch also takes a list).
//
// # State
//
// Schedules whose rate depends on more than the step (Plateau, and Warmup
// around any schedule) implement Stateful (optim.Stateful): State()
// map[string]float64 and SetState(map[string]float64) error, which optim's
// checkpoints store and restore. SetState checks the
// keys and values and leaves the schedule unchanged when it rejects them.
// The other schedules are pure functions of the step and carry no state.
package schedule
