package optim

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// TestParamMixedDtypeError: float64 data with a float32 gradient (or the
// reverse) is refused with an error that says what is supported, not that
// both pairs are set (issue 17, item 5).
func TestParamMixedDtypeError(t *testing.T) {
	f32, f64 := []float32{1, 2}, []float64{1, 2}
	for _, c := range []struct {
		p    Param
		want []string
	}{
		{Param{Name: "w", Data64: f64, Grad32: f32}, []string{`parameter "w"`, "float64 data with a float32 gradient", "not supported", "Data32 and Grad32", "Data64 and Grad64"}},
		{Param{Name: "w", Data32: f32, Grad64: f64}, []string{`parameter "w"`, "float32 data with a float64 gradient", "not supported"}},
		{Param{Name: "w", Data32: f32, Grad32: f32, Data64: f64, Grad64: f64}, []string{`parameter "w"`, "both", "one pair"}},
		{Param{Name: "w", Data32: f32, Grad32: f32, Grad64: f64}, []string{`parameter "w"`, "one pair"}},
	} {
		_, err := NewSGD([]SGDGroup{{Params: []Param{c.p}, Hyper: kernels.SGD{LR: 0.1}}})
		if err == nil {
			t.Fatalf("%+v accepted", c.p)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	}
}

// TestLossScalerFloor: consecutive skipped steps back the loss scale off
// to a floor, never to a scale whose reciprocal overflows; the clean step
// that follows leaves every parameter finite, even with gradients near the
// largest float32 (issue 17, item 7).
func TestLossScalerFloor(t *testing.T) {
	for _, kind := range []string{"sgd", "adam"} {
		t.Run(kind, func(t *testing.T) {
			w32, g32 := []float32{1, -2, 3}, make([]float32, 3)
			w64, g64 := []float64{1, -2, 3}, make([]float64, 3)
			params := []Param{Float32("w32", w32, g32), Float64("w64", w64, g64)}
			cfg := DefaultScaler()
			var o *Optimizer
			var err error
			if kind == "sgd" {
				o, err = NewSGD([]SGDGroup{{Params: params, Hyper: kernels.SGD{LR: 0.1, Momentum: 0.9}}}, WithLossScaler(cfg), WithWorkers(1))
			} else {
				o, err = NewAdam([]AdamGroup{{Params: params, Hyper: kernels.DefaultAdam()}}, WithLossScaler(cfg), WithWorkers(1))
			}
			if err != nil {
				t.Fatal(err)
			}
			skips := 0
			for ; skips < 3000; skips++ {
				before := o.Scale()
				g32[0] = float32(math.Inf(1))
				info, err := o.Step()
				if err != nil || !info.Skipped {
					t.Fatalf("skip %d: %+v %v", skips, info, err)
				}
				if !(o.Scale() > 0) || math.IsInf(1/o.Scale(), 0) {
					t.Fatalf("after %d skipped steps the scale is %v", skips+1, o.Scale())
				}
				if o.Scale() == before && skips > 0 {
					break
				}
			}
			if o.Scale() != MinLossScale {
				t.Fatalf("after %d skipped steps the scale is %v, not the floor %v", skips, o.Scale(), MinLossScale)
			}
			// An ordinary clean step updates the parameters; then gradients
			// as large as the element types allow (scaled by the floor).
			for _, m := range []float64{0.5, math.MaxFloat32 / 4} {
				s := o.Scale()
				before := w32[0]
				for i := range g32 {
					g32[i] = float32(s) * float32(m) * float32(1-i)
					g64[i] = s * m * float64(1-i)
				}
				if m > 1 {
					g64[0] = s * math.MaxFloat64 / 4
				}
				info, err := o.Step()
				if err != nil || info.Skipped {
					t.Fatalf("clean step after %d skipped: %+v %v", skips, info, err)
				}
				for i := range w32 {
					if math.IsNaN(float64(w32[i])) || math.IsInf(float64(w32[i]), 0) || math.IsNaN(w64[i]) || math.IsInf(w64[i], 0) {
						t.Fatalf("after %d skipped steps and a clean one (gradient %v), parameters %v %v", skips, m, w32, w64)
					}
				}
				if m < 1 && w32[0] == before {
					t.Fatalf("the clean step did not update the parameters: %v", w32)
				}
			}
			t.Logf("%d skipped steps to the floor %v; parameters after a clean step %v %v", skips, o.Scale(), w32, w64)
		})
	}
	// The floor is the least initial scale, and the least a checkpoint may
	// hold.
	cfg := DefaultScaler()
	cfg.InitScale = 0.5
	if err := cfg.Validate(); err == nil {
		t.Error("initial scale 0.5 accepted")
	}
}

// TestStepLimit: a checkpoint whose step count cannot be advanced (validly
// signed) is refused, one just below the limit loads and steps once, and
// Step at the limit returns ErrStepLimit — no panic, no wrapped counter,
// nothing changed — for every algorithm (issue 17, item 1).
func TestStepLimit(t *testing.T) {
	for i, src := range fuzzOptimizers(t) {
		name := src.Algorithm().Name
		if i == 0 {
			name = "amsgrad+scaler"
		}
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v", r)
				}
			}()
			dst := fuzzOptimizers(t)[i]
			src.c.step = math.MaxInt
			b := checkpointBytes(t, src)
			before := checkpointBytes(t, dst)
			ck, err := ReadCheckpoint(bytes.NewReader(b))
			if err == nil {
				err = dst.Restore(ck)
			}
			if err == nil || !strings.Contains(err.Error(), "cannot be advanced") {
				t.Fatalf("step %d checkpoint: %v", math.MaxInt, err)
			}
			if !bytes.Equal(before, checkpointBytes(t, dst)) {
				t.Fatal("a failed load changed the optimizer")
			}
			if sc := src.c.scaler; sc != nil {
				src.c.step, sc.tracker = 5, math.MaxInt
				ck, err := ReadCheckpoint(bytes.NewReader(checkpointBytes(t, src)))
				if err == nil {
					err = dst.Restore(ck)
				}
				if err == nil || !strings.Contains(err.Error(), "cannot be advanced") {
					t.Fatalf("growth tracker %d: %v", math.MaxInt, err)
				}
				sc.tracker = 0
			}
			src.c.step = MaxStep - 1
			ck, err = ReadCheckpoint(bytes.NewReader(checkpointBytes(t, src)))
			if err != nil {
				t.Fatal(err)
			}
			if err := dst.Restore(ck); err != nil {
				t.Fatal(err)
			}
			if info, err := dst.Step(); err != nil || info.Step != MaxStep || dst.StepCount() != MaxStep {
				t.Fatalf("step to the limit: %+v %v", info, err)
			}
			before = checkpointBytes(t, dst)
			info, err := dst.Step()
			if !errors.Is(err, ErrStepLimit) || info.Step != MaxStep || dst.StepCount() != MaxStep {
				t.Fatalf("step beyond the limit: %+v %v", info, err)
			}
			if !bytes.Equal(before, checkpointBytes(t, dst)) {
				t.Fatal("a refused step changed the optimizer")
			}
		})
	}
}
