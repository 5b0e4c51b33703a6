package schedule

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"
)

// The reference sequences in testdata/pytorch_lr.json come from PyTorch 1.13's
// schedulers, stepped as a training loop steps them (testdata/gen.py; torch is
// needed only to regenerate the file). lr[k][g] is the rate of param group g
// used by the update that follows k completed updates (optim's step k,
// PyTorch's last_epoch k), which LR(k, base) must return.
//
// Tolerance: |got − want| ≤ 1e-12·|want|. PyTorch steps its schedulers in a
// recursive ("chainable") form, lr_k = f(lr_{k−1}), while the schedules here
// use the closed forms PyTorch documents as equivalent; the two differ by
// rounding only, a few ulps per step at most (2.2e-16 each), so after 100
// steps they agree to far better than 1e-12. A zero rate must be exactly zero.
const relTol = 1e-12

type torchCase struct {
	Name    string          `json:"name"`
	Kind    string          `json:"kind"`
	Params  json.RawMessage `json:"params"`
	Bases   []float64       `json:"base_lrs"`
	Steps   int             `json:"steps"`
	LR      [][]float64     `json:"lr"`
	Mom     []float64       `json:"momentum"`
	Metrics []float64       `json:"metrics"`
}

type torchParams struct {
	StepSize   int     `json:"step_size"`
	Gamma      float64 `json:"gamma"`
	Milestones []int   `json:"milestones"`
	TMax       int     `json:"t_max"`
	EtaMin     float64 `json:"eta_min"`
	// warmup
	WarmupSteps int     `json:"warmup_steps"`
	StartFactor float64 `json:"start_factor"`
	Inner       *struct {
		Kind   string          `json:"kind"`
		Params json.RawMessage `json:"params"`
	} `json:"inner"`
	// onecycle
	MaxLR          float64 `json:"max_lr"`
	TotalSteps     int     `json:"total_steps"`
	PctStart       float64 `json:"pct_start"`
	Anneal         string  `json:"anneal"`
	DivFactor      float64 `json:"div_factor"`
	FinalDivFactor float64 `json:"final_div_factor"`
	ThreePhase     bool    `json:"three_phase"`
	BaseMomentum   float64 `json:"base_momentum"`
	MaxMomentum    float64 `json:"max_momentum"`
	// plateau
	Mode          string  `json:"mode"`
	Factor        float64 `json:"factor"`
	Patience      int     `json:"patience"`
	Threshold     float64 `json:"threshold"`
	ThresholdMode string  `json:"threshold_mode"`
	Cooldown      int     `json:"cooldown"`
	MinLR         float64 `json:"min_lr"`
	Eps           float64 `json:"eps"`
	// linear, polynomial, restarts
	EndFactor  float64 `json:"end_factor"`
	TotalIters int     `json:"total_iters"`
	Power      float64 `json:"power"`
	T0         int     `json:"t_0"`
	TMult      int     `json:"t_mult"`
}

func buildTorch(kind string, raw json.RawMessage) (Schedule, error) {
	var p torchParams
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	switch kind {
	case "constant":
		return Constant{}, nil
	case "step":
		return NewStep(p.StepSize, p.Gamma)
	case "multistep":
		return NewMultiStep(p.Milestones, p.Gamma)
	case "exponential":
		return NewExponential(p.Gamma)
	case "cosine":
		return NewCosine(p.TMax, p.EtaMin)
	case "warmup":
		inner, err := buildTorch(p.Inner.Kind, p.Inner.Params)
		if err != nil {
			return nil, err
		}
		return NewWarmup(inner, p.WarmupSteps, p.StartFactor)
	case "onecycle":
		c := DefaultOneCycle(p.MaxLR, p.TotalSteps)
		c.PctStart, c.DivFactor, c.FinalDivFactor = p.PctStart, p.DivFactor, p.FinalDivFactor
		c.ThreePhase, c.BaseMomentum, c.MaxMomentum = p.ThreePhase, p.BaseMomentum, p.MaxMomentum
		switch p.Anneal {
		case "cos":
			c.Anneal = AnnealCos
		case "linear":
			c.Anneal = AnnealLinear
		default:
			return nil, fmt.Errorf("anneal %q", p.Anneal)
		}
		return NewOneCycle(c)
	case "linear":
		return NewLinear(p.StartFactor, p.EndFactor, p.TotalIters)
	case "polynomial":
		return NewPolynomial(p.TotalIters, p.Power)
	case "restarts":
		return NewWarmRestarts(p.T0, p.TMult, p.EtaMin)
	case "plateau":
		c := DefaultPlateau()
		c.Factor, c.Patience, c.Threshold = p.Factor, p.Patience, p.Threshold
		c.Cooldown, c.MinLR, c.Eps = p.Cooldown, p.MinLR, p.Eps
		if p.Mode == "max" {
			c.Mode = Max
		}
		if p.ThresholdMode == "abs" {
			c.ThresholdMode = Abs
		}
		return NewPlateau(c)
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

func loadTorchCases(t *testing.T) []torchCase {
	t.Helper()
	b, err := os.ReadFile("testdata/pytorch_lr.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Version string      `json:"torch_version"`
		Cases   []torchCase `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	return f.Cases
}

func relErr(got, want float64) float64 {
	if got == want {
		return 0
	}
	if want == 0 {
		return math.Inf(1)
	}
	return math.Abs(got-want) / math.Abs(want)
}

func TestAgainstPyTorch(t *testing.T) {
	kinds := map[string]bool{}
	for _, c := range loadTorchCases(t) {
		kinds[c.Kind] = true
		t.Run(c.Name, func(t *testing.T) {
			s, err := buildTorch(c.Kind, c.Params)
			if err != nil {
				t.Fatal(err)
			}
			if len(c.LR) != c.Steps {
				t.Fatalf("%d lr rows for %d steps", len(c.LR), c.Steps)
			}
			worst := 0.0
			for k := 0; k < c.Steps; k++ {
				for g, base := range c.Bases {
					got, want := s.LR(k, base), c.LR[k][g]
					if e := relErr(got, want); e > relTol {
						t.Errorf("step %d group %d: lr %v, PyTorch %v (rel err %.3g)", k, g, got, want, e)
					} else if e > worst {
						worst = e
					}
				}
				if oc, ok := s.(*OneCycle); ok {
					got, want := oc.Momentum(k), c.Mom[k]
					if e := relErr(got, want); e > relTol {
						t.Errorf("step %d: momentum %v, PyTorch %v (rel err %.3g)", k, got, want, e)
					}
				}
				if p, ok := s.(*Plateau); ok {
					p.ObserveLoss(c.Metrics[k])
				}
			}
			t.Logf("largest relative difference %.3g", worst)
		})
	}
	for _, k := range []string{"constant", "step", "multistep", "exponential", "cosine", "warmup", "onecycle", "plateau", "linear", "polynomial", "restarts"} {
		if !kinds[k] {
			t.Errorf("no PyTorch reference for %s", k)
		}
	}
}
