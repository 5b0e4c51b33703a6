package optim

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/optim/schedule"
)

// With a momentum-cycling schedule (OneCycle), every update uses the
// schedule's momentum as β1 (Adam) or momentum (SGD): the trajectory is
// the one of the kernels called step by step with those values, the
// group's stored hyper-parameters keep the base values, a resumed run
// cycles on bit for bit, and CycleMomentum=false cycles only the rate.
func TestOneCycleMomentum(t *testing.T) {
	const n, steps = 37, 25
	grad := func(s, i int) float32 { return float32(math.Sin(float64(3*s+i))) * 0.5 }
	for _, c := range []struct {
		name  string
		alg   string
		hyper Values
		cycle bool
	}{
		{"adam", "adam", Values{"lr": 0.01, "weight_decay": 0.01}, true},
		{"sgd", "momentum", Values{"lr": 0.05, "momentum": 0.9}, true},
		{"adam-no-cycle", "adam", Values{"lr": 0.01}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := schedule.DefaultOneCycle(0, steps)
			cfg.CycleMomentum = c.cycle
			oc, err := schedule.NewOneCycle(cfg)
			if err != nil {
				t.Fatal(err)
			}
			p0 := make([]float32, n)
			for i := range p0 {
				p0[i] = float32(i%7) * 0.3
			}
			p, g := slices.Clone(p0), make([]float32, n)
			o, err := New(c.alg, []Group{{Params: []Param{Float32("w", p, g)}, Hyper: c.hyper, Schedule: oc}})
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			// The reference: the kernels, step by step.
			rp, s1, s2 := slices.Clone(p0), make([]float32, n), make([]float32, n)
			var mid []byte
			for s := 0; s < steps; s++ {
				for i := range g {
					g[i] = grad(s, i)
				}
				if _, err := o.Step(); err != nil {
					t.Fatal(err)
				}
				if s == steps/2 {
					var b bytes.Buffer
					if _, err := o.WriteTo(&b); err != nil {
						t.Fatal(err)
					}
					mid = b.Bytes()
				}
				lr, mom := oc.LR(s, c.hyper["lr"]), oc.Momentum(s)
				switch c.alg {
				case "adam":
					h := kernels.DefaultAdam()
					h.LR, h.WeightDecay = lr, c.hyper["weight_decay"]
					if c.cycle {
						h.Beta1 = mom
					}
					sc := h.Scalars(s+1, 1)
					kernels.AdamStep(rp, g, s1, s2, &sc)
				case "momentum":
					h := kernels.SGD{LR: lr, Momentum: mom}
					sc := h.Scalars(1)
					if s == 0 {
						copy(s1, g)
					} else {
						kernels.MomentumStep(rp, g, s1, &sc, false)
						continue
					}
					// The first step: the buffer takes the gradient.
					for i := range rp {
						rp[i] -= float32(float32(lr) * g[i]) // the conversion: no FMA on arm64
					}
				}
			}
			for i := range p {
				if math.Float32bits(p[i]) != math.Float32bits(rp[i]) {
					t.Fatalf("element %d: optimizer %v, kernels step by step %v", i, p[i], rp[i])
				}
			}
			if got := o.Hyper(0); c.alg == "adam" && got["beta1"] != 0.9 || c.alg == "momentum" && got["momentum"] != 0.9 {
				t.Errorf("stored hyper-parameters changed: %v", got)
			}
			// Resume from the middle: the same end, bit for bit.
			p2, g2 := make([]float32, n), make([]float32, n)
			oc2, _ := schedule.NewOneCycle(cfg)
			o2, err := New(c.alg, []Group{{Params: []Param{Float32("w", p2, g2)}, Hyper: c.hyper, Schedule: oc2}})
			if err != nil {
				t.Fatal(err)
			}
			defer o2.Close()
			ck, err := ReadCheckpoint(bytes.NewReader(mid))
			if err != nil {
				t.Fatal(err)
			}
			if err := o2.Restore(ck); err != nil {
				t.Fatal(err)
			}
			for s := steps/2 + 1; s < steps; s++ {
				for i := range g2 {
					g2[i] = grad(s, i)
				}
				if _, err := o2.Step(); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(p, p2) {
				t.Error("a run resumed mid-cycle ends elsewhere")
			}
		})
	}
}
