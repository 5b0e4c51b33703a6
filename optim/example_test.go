package optim_test

import (
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/optim"
)

// Adam over two named parameters: one step, a checkpoint saved to a
// temporary directory, and loaded into a fresh optimizer.
func Example() {
	w, wGrad := []float32{0.5, -1, 2}, make([]float32, 3)
	b, bGrad := []float64{0.25}, make([]float64, 1)
	params := []optim.Param{optim.Float32("w", w, wGrad), optim.Float64("b", b, bGrad)}
	opt, err := optim.NewAdam([]optim.AdamGroup{{Params: params, Hyper: kernels.DefaultAdam()}})
	if err != nil {
		panic(err)
	}
	defer opt.Close()

	// The training loop writes gradients in place, then steps.
	copy(wGrad, []float32{0.1, -0.2, 0.3})
	bGrad[0] = -1
	info, err := opt.Step()
	if err != nil {
		panic(err)
	}
	fmt.Println("step", info.Step, "w", w, "b", b)

	dir, err := os.MkdirTemp("", "descent-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ckpt.safetensors")
	if err := opt.Save(path); err != nil {
		panic(err)
	}

	// A fresh optimizer over fresh slices of the same names and shapes.
	w2, b2 := make([]float32, 3), make([]float64, 1)
	fresh, err := optim.NewAdam([]optim.AdamGroup{{
		Params: []optim.Param{optim.Float32("w", w2, make([]float32, 3)), optim.Float64("b", b2, make([]float64, 1))},
		Hyper:  kernels.DefaultAdam(),
	}})
	if err != nil {
		panic(err)
	}
	defer fresh.Close()
	if err := fresh.Load(path); err != nil {
		panic(err)
	}
	fmt.Println("loaded step", fresh.StepCount(), "w", w2, "b", b2)
	// Output:
	// step 1 w [0.499 -0.999 1.999] b [0.25099999999]
	// loaded step 1 w [0.499 -0.999 1.999] b [0.25099999999]
}

// Clipping by global norm with a loss scaler: the gradients arrive scaled
// by Scale() and are unscaled and clipped inside the update.
func ExampleWithClipNorm() {
	p, g := []float32{1, 1}, make([]float32, 2)
	opt, err := optim.NewSGD([]optim.SGDGroup{{Params: []optim.Param{optim.Float32("p", p, g)}, Hyper: kernels.SGD{LR: 0.1}}},
		optim.WithClipNorm(1), optim.WithLossScaler(optim.DefaultScaler()))
	if err != nil {
		panic(err)
	}
	defer opt.Close()
	s := float32(opt.Scale())
	g[0], g[1] = 3*s, 4*s // unscaled gradient (3, 4), norm 5
	info, _ := opt.Step()
	fmt.Printf("norm %.4g coef %.4g p %.4g\n", info.GradNorm, info.ClipCoef, p)

	g[0] = float32(math.Inf(1)) // overflow: the step is skipped, the scale backs off
	info, _ = opt.Step()
	fmt.Println("skipped", info.Skipped, "scale", info.Scale, "steps", opt.StepCount())
	// Output:
	// norm 5 coef 0.2 p [0.94 0.92]
	// skipped true scale 32768 steps 1
}

// Any registered algorithm by name, with hyper-parameters by key; the
// others take the algorithm's defaults.
func ExampleNew() {
	w, g := []float32{1, -1, 0.5}, []float32{0.3, -0.2, 0}
	opt, err := optim.New("lion", []optim.Group{{
		Params: []optim.Param{optim.Float32("w", w, g)},
		Hyper:  optim.Values{"lr": 0.1, "weight_decay": 0.5},
	}})
	if err != nil {
		panic(err)
	}
	defer opt.Close()
	opt.Step() // w − lr·(sign(β1·m + (1−β1)·g) + λ·w), m = 0
	fmt.Println(w, opt.Hyper(0)["beta2"], opt.Algorithm().State[0].Name)
	// Output:
	// [0.85 -0.85 0.475] 0.99 exp_avg
}

// The registry: each algorithm's rule, hyper-parameters with their defaults
// and the state it keeps.
func ExampleAlgorithms() {
	for _, a := range optim.Algorithms() {
		var hs []string
		for _, p := range a.Hyper {
			if !p.Fixed {
				hs = append(hs, p.Key+"="+p.Format(p.Default))
			}
		}
		fmt.Printf("%-8s %-7s %v\n", a.Name, a.Kind, hs)
	}
	// Output:
	// sgd      sgd     [lr=0.001 momentum=0 dampening=0 weight_decay=0 nesterov=false maximize=false]
	// momentum sgd     [lr=0.001 momentum=0.9 dampening=0 weight_decay=0 maximize=false]
	// nesterov sgd     [lr=0.001 momentum=0.9 weight_decay=0 maximize=false]
	// adam     adam    [lr=0.001 beta1=0.9 beta2=0.999 eps=1e-08 weight_decay=0 decoupled=false amsgrad=false maximize=false]
	// adamw    adam    [lr=0.001 beta1=0.9 beta2=0.999 eps=1e-08 weight_decay=0.01 amsgrad=false maximize=false]
	// amsgrad  adam    [lr=0.001 beta1=0.9 beta2=0.999 eps=1e-08 weight_decay=0 decoupled=false maximize=false]
	// lion     lion    [lr=0.0001 beta1=0.9 beta2=0.99 weight_decay=0 maximize=false]
	// adagrad  adagrad [lr=0.01 lr_decay=0 weight_decay=0 initial_accumulator_value=0 eps=1e-10 maximize=false]
	// rmsprop  rmsprop [lr=0.01 alpha=0.99 eps=1e-08 weight_decay=0 momentum=0 centered=false maximize=false]
	// lamb     lamb    [lr=0.001 beta1=0.9 beta2=0.999 eps=1e-06 weight_decay=0]
	// schedulefree schedulefree [lr=0.0025 beta1=0.9 beta2=0.999 eps=1e-08 weight_decay=0 warmup_steps=0 r=0 weight_lr_power=2]
	// muon     muon    [lr=0.001 weight_decay=0.1 momentum=0.95 nesterov=true ns_steps=5 eps=1e-07 match_rms_adamw=false adamw=false beta1=0.9 beta2=0.999 adam_eps=1e-08]
}
