package kernels_test

import (
	"fmt"

	"github.com/descent-go/descent/kernels"
)

// One AdamW step on three parameters. The result is the same, to the bit,
// whichever implementation runs.
func ExampleAdamStep() {
	h := kernels.DefaultAdamW() // lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 1e-2
	p := []float32{1, 2, 3}
	g := []float32{0.1, -0.2, 0.3}
	m, v := make([]float32, 3), make([]float32, 3)

	s := h.Scalars(1, 1) // step 1, gradient scale 1
	kernels.AdamStep[float32](p, g, m, v, &s)
	fmt.Println(p)
	fmt.Println(m)
	// Output:
	// [0.99899 2.00098 2.99897]
	// [0.010000001 -0.020000001 0.030000001]
}

// Momentum with PyTorch's first-step rule: the buffer takes the gradient.
func ExampleMomentumStep() {
	h := kernels.SGD{LR: 0.1, Momentum: 0.9}
	p, buf := []float64{1, 1}, make([]float64, 2)
	g := []float64{1, -1}
	s := h.Scalars(1)
	kernels.MomentumStep[float64](p, g, buf, &s, true)
	kernels.MomentumStep[float64](p, g, buf, &s, false)
	fmt.Printf("%.4f %.4f\n", p, buf)
	// Output:
	// [0.7100 1.2900] [1.9000 -1.9000]
}

// Global-norm clipping needs the sum of squares of every gradient and
// whether they are all finite: one pass each.
func ExampleSumSquares() {
	g := []float32{3, 4}
	sum, finite := kernels.SumSquares[float32](g)
	fmt.Println(sum, finite)
	// Output:
	// 25 true
}
