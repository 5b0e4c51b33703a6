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
