package kernels

import (
	"fmt"
	"math"
	"testing"
)

// The public wrappers of Muon's, LAMB's and Schedule-Free's kernels, on
// hyper-parameters that reach every variant (Nesterov, unit and other
// gradient scales, weight decay, the first Schedule-Free step), against
// the reference on every implementation, with the whole-tensor LAMB step
// (direction, canonical norms, Axpy) and Schedule-Free's x/y switches.

func TestMuonKernels(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testMuonKernels[float32](t) })
	t.Run("f64", func(t *testing.T) { testMuonKernels[float64](t) })
}

func testMuonKernels[T float](t *testing.T) {
	for ci, h := range []Muon{DefaultMuon(), {LR: 0.02, WeightDecay: 0, Momentum: 0.9, NSSteps: 5, Eps: 1e-7, MatchRMSAdamW: true, Beta1: 0.9, Beta2: 0.99, AdamEps: 1e-8}} {
		for _, gs := range []float64{1, 0.25} {
			for _, special := range fills {
				s := h.Scalars(3, gs)
				t.Run(fmt.Sprintf("config=%d/scale=%v/special=%v", ci, gs, special), func(t *testing.T) {
					compareImpls(t, 3, slices[T](3, special), func(a [][]T) []float64 {
						MuonMomentumStep(a[0], a[1], a[2], &s)
						MuonUpdateStep(a[1], a[2], &s, 7, 3)
						return nil
					})
				})
			}
		}
	}
}

func TestLAMBKernels(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testLAMBKernels[float32](t) })
	t.Run("f64", func(t *testing.T) { testLAMBKernels[float64](t) })
}

func testLAMBKernels[T float](t *testing.T) {
	for ci, h := range []LAMB{DefaultLAMB(), {LR: 0.01, Beta1: 0.8, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.1}} {
		for _, special := range fills {
			s := h.Scalars(2, 0.5)
			t.Run(fmt.Sprintf("config=%d/special=%v", ci, special), func(t *testing.T) {
				compareImpls(t, 5, slices[T](5, special), func(a [][]T) []float64 {
					return []float64{LAMBStep(a[0], a[1], a[2], a[3], a[4], &s)}
				})
			})
		}
	}
	if TrustRatio(0, 1) != 1 || TrustRatio(1, 0) != 1 || TrustRatio(9, 4) != 1.5 {
		t.Error("TrustRatio")
	}
}

func TestScheduleFreeKernels(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testScheduleFreeKernels[float32](t) })
	t.Run("f64", func(t *testing.T) { testScheduleFreeKernels[float64](t) })
}

func testScheduleFreeKernels[T float](t *testing.T) {
	for ci, h := range []ScheduleFree{DefaultScheduleFree(), {LR: 0.01, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.05, WarmupSteps: 3, R: 1, WeightLRPower: 1}} {
		for _, first := range []bool{true, false} {
			for _, special := range fills {
				var s ScheduleFreeScalars
				for k := 1; k <= 4; k++ {
					h.Next(&s, k, 0.5)
				}
				t.Run(fmt.Sprintf("config=%d/first=%v/special=%v", ci, first, special), func(t *testing.T) {
					compareImpls(t, 4, slices[T](4, special), func(a [][]T) []float64 {
						ScheduleFreeStep(a[0], a[1], a[2], a[3], &s, first)
						ScheduleFreeToX(a[0], a[2], h.Beta1)
						ScheduleFreeToY(a[1], a[2], h.Beta1)
						return nil
					})
				})
			}
		}
	}
}

// TestScheduleFreeNext: the running weights of AdamWScheduleFree, worked
// by hand for warm-up 2, r 1, weight_lr_power 1, lr 0.1: lr 0.05, 0.1,
// 0.1; weights 1·0.05, 2·0.1, 3·0.1; c = 1, 0.2/0.25, 0.3/0.55.
func TestScheduleFreeNext(t *testing.T) {
	h := ScheduleFree{LR: 0.1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WarmupSteps: 2, R: 1, WeightLRPower: 1}
	var s ScheduleFreeScalars
	for k, want := range [][2]float64{{0.05, 1}, {0.1, 0.2 / 0.25}, {0.1, 0.3 / 0.55}} {
		h.Next(&s, k+1, 1)
		if math.Abs(s.LR-want[0]) > 1e-15 || math.Abs(s.Ckp1-want[1]) > 1e-15 || math.Abs(s.YStep-s.LR*(0.9*(1-s.Ckp1)-1)) > 1e-15 {
			t.Errorf("step %d: lr %v ckp1 %v ystep %v, want %v", k+1, s.LR, s.Ckp1, s.YStep, want)
		}
	}
	if err := (ScheduleFree{LR: 1, Beta1: 0.9, Beta2: 0.9, Eps: 1, WarmupSteps: 1.5}).Validate(); err == nil {
		t.Error("warmup_steps 1.5 accepted")
	}
	if err := (Muon{LR: 1, Momentum: 0.5, NSSteps: 2.5, Eps: 1, Beta1: 0.9, Beta2: 0.9, AdamEps: 1}).Validate(); err == nil {
		t.Error("ns_steps 2.5 accepted")
	}
}
