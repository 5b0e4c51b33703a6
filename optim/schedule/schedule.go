package schedule

import (
	"errors"
	"fmt"
	"math"
)

// Schedule gives the learning rate of one optimizer step.
//
// LR returns the learning rate of the optimizer update that follows step
// completed updates, for a parameter group whose configured (initial)
// learning rate is base: step is 0 for the first update, 1 for the second,
// and so on. This is optim's convention, and PyTorch's last_epoch when
// scheduler.step() follows every optimizer.step(): LR(step, base) is the
// group's lr after the scheduler has been constructed and stepped step times,
// i.e. its closed form at last_epoch = step. So LR(0, base) is base itself for
// every schedule except Warmup (base·startFactor) and OneCycle. A negative
// step is treated as 0.
//
// The method set is optim.Schedule's, so every schedule here can be given to
// an optimizer directly.
type Schedule interface {
	LR(step int, base float64) float64
}

// Stateful is implemented by schedules whose learning rate depends on more
// than the step number (Plateau, and Warmup). It is optim.Stateful. State
// and SetState save and restore that state in checkpoints. SetState validates the whole map
// (exactly the keys State returns, values in range) and changes nothing when
// it returns an error. Configuration is not part of the state: it is given to
// the constructor again when a run resumes.
type Stateful interface {
	State() map[string]float64
	SetState(map[string]float64) error
}

// Constant keeps the learning rate at base for every step.
type Constant struct{}

// LR returns base.
func (Constant) LR(step int, base float64) float64 { return base }

// LossObserver is implemented by schedules fed a metric (Plateau, and
// Warmup, which forwards to its inner schedule). It is optim.LossObserver:
// Optimizer.ObserveLoss calls it.
type LossObserver interface {
	ObserveLoss(loss float64)
}

// epoch converts a step to PyTorch's last_epoch: negative steps count as 0.
func epoch(step int) int {
	if step < 0 {
		return 0
	}
	return step
}

// errorf builds the package's configuration errors: "schedule: <Func>: ...".
func errorf(fn, format string, args ...any) error {
	return fmt.Errorf("schedule: "+fn+": "+format, args...)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// errState is wrapped by every SetState error.
var errState = errors.New("invalid schedule state")

func stateErrorf(fn, format string, args ...any) error {
	return fmt.Errorf("schedule: %s.SetState: %w: %s", fn, errState, fmt.Sprintf(format, args...))
}

// checkKeys reports an error unless m holds exactly the given keys.
func checkKeys(fn string, m map[string]float64, keys ...string) error {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return stateErrorf(fn, "missing key %q", k)
		}
	}
	if len(m) != len(keys) {
		for k := range m {
			known := false
			for _, want := range keys {
				if k == want {
					known = true
					break
				}
			}
			if !known {
				return stateErrorf(fn, "unknown key %q", k)
			}
		}
	}
	return nil
}

// maxCount bounds counters stored as float64 so they convert exactly to int.
const maxCount = 1 << 53

// count converts a counter from a state map: a non-negative integer.
func count(fn string, m map[string]float64, key string) (int, error) {
	v := m[key]
	if !(v >= 0 && v <= maxCount) || v != math.Trunc(v) {
		return 0, stateErrorf(fn, "%s = %v, want a non-negative integer", key, v)
	}
	return int(v), nil
}
