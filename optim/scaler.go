package optim

import (
	"fmt"
	"math"
)

// ScalerConfig configures dynamic loss scaling as PyTorch's
// torch.cuda.amp.GradScaler: the training loop multiplies the loss by
// Optimizer.Scale() before the backward pass; Step divides the gradients
// by the scale inside the update (folded into the kernels' gradient scale,
// so the gradients are not rewritten), skips the step when a gradient is
// not finite — parameters, state and step count untouched — and multiplies
// the scale by BackoffFactor, and multiplies it by GrowthFactor after
// GrowthInterval consecutive clean steps (a growth that would overflow to
// +Inf is not applied).
//
// Unlike GradScaler's, the scale has a floor, MinLossScale (1): a step with
// non-finite gradients at the floor is still skipped, but the scale stays
// at 1. A scale below 1 would make the unscaling enlarge the gradients —
// by more than any float32 once the scale is below 2^-128, to +Inf once it
// is below 2^-1024 (about 1 040 backoffs by half from 65536), turning a
// finite gradient into a non-finite update. With the floor, the unscaled
// gradient is never larger than the one the training loop computed.
type ScalerConfig struct {
	InitScale      float64 // ≥ MinLossScale (1), finite
	GrowthFactor   float64 // > 1, finite
	BackoffFactor  float64 // in (0, 1)
	GrowthInterval int     // ≥ 1
}

// DefaultScaler returns GradScaler's defaults: init_scale 65536,
// growth_factor 2, backoff_factor 0.5, growth_interval 2000.
func DefaultScaler() ScalerConfig {
	return ScalerConfig{InitScale: 65536, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 2000}
}

// Validate reports the first setting out of range.
func (c ScalerConfig) Validate() error {
	switch {
	case !(c.InitScale >= MinLossScale) || math.IsInf(c.InitScale, 0):
		return fmt.Errorf("optim: loss scaler: init scale %v must be finite and ≥ %v", c.InitScale, MinLossScale)
	case !(c.GrowthFactor > 1) || math.IsInf(c.GrowthFactor, 0):
		return fmt.Errorf("optim: loss scaler: growth factor %v must be finite and > 1", c.GrowthFactor)
	case !(c.BackoffFactor > 0 && c.BackoffFactor < 1):
		return fmt.Errorf("optim: loss scaler: backoff factor %v must be in (0, 1)", c.BackoffFactor)
	case c.GrowthInterval < 1:
		return fmt.Errorf("optim: loss scaler: growth interval %d must be ≥ 1", c.GrowthInterval)
	}
	return nil
}

// MinLossScale is the floor of a loss scaler's scale (see ScalerConfig).
const MinLossScale = 1.0

type scaler struct {
	cfg     ScalerConfig
	scale   float64
	tracker int // consecutive clean steps since the last change
}

func newScaler(cfg ScalerConfig) *scaler { return &scaler{cfg: cfg, scale: cfg.InitScale} }

// update records one step: clean (finite gradients) or not.
func (s *scaler) update(clean bool) {
	if !clean {
		s.scale = max(s.scale*s.cfg.BackoffFactor, MinLossScale)
		s.tracker = 0
		return
	}
	s.tracker++
	if s.tracker >= s.cfg.GrowthInterval {
		if g := s.scale * s.cfg.GrowthFactor; !math.IsInf(g, 0) {
			s.scale = g
		}
		s.tracker = 0
	}
}

// ScalerState returns the loss scaler's scale and its count of consecutive
// clean steps; ok is false without a scaler.
func (o *Optimizer) ScalerState() (scale float64, growthTracker int, ok bool) {
	if o.c.scaler == nil {
		return 1, 0, false
	}
	return o.c.scaler.scale, o.c.scaler.tracker, true
}
