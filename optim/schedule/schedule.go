package schedule

import (
	"errors"
	"fmt"
	"math"
)

// Schedule gives the learning rate of one optimizer step.
//
// LR returns the learning rate that optimizer step number step uses, for a
// parameter group whose configured (initial) learning rate is base. Steps are
// counted from 1, as the optimizer counts them: LR(1, base) is the rate of the
// first update, which for every schedule except OneCycle is base itself or its
// first warm-up fraction. A step below 1 is treated as 1.
//
// In PyTorch's terms, LR(step, base) is the group's lr after the scheduler has
// been constructed and stepped step−1 times, i.e. the closed form evaluated at
// last_epoch = step−1.
//
// The method set matches optim's Schedule interface, so every schedule here
// can be given to an optimizer directly.
type Schedule interface {
	LR(step int, base float64) float64
}

// Stateful is implemented by schedules whose learning rate depends on more
// than the step number (Plateau, and Warmup around one). State and SetState
// save and restore that state in checkpoints. SetState validates the whole map
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

// epoch converts an optimizer step (from 1) to PyTorch's last_epoch (from 0).
func epoch(step int) int {
	if step < 1 {
		return 0
	}
	return step - 1
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
