package linear_test

import (
	"fmt"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
)

// Loss and gradient of least squares on two rows, by hand: with θ = 0 the
// residuals are −y, so the loss is (1² + 3²)/(2·2) = 2.5 and the gradient is
// Xᵀr/m.
func ExampleNewLeastSquares() {
	x := []float64{
		1, 0,
		0, 2,
	}
	y := []float64{1, 3}
	md := linear.NewLeastSquares[float64](2, linear.Options{Intercept: true})
	theta := make([]float64, md.NumParams()) // w0, w1, b
	grad := make([]float64, md.NumParams())
	loss := md.LossGrad(theta, x, y, grad)
	fmt.Println(loss, grad)
	// Output: 2.5 [-0.5 -3 -2]
}

// Logistic regression on breast cancer, trained by full-batch gradient
// descent.
func ExampleNewLogistic() {
	d, _ := datasets.Load("breast_cancer")
	d.Standardize()
	md := linear.NewLogistic[float64](d.Cols, linear.Options{Intercept: true})
	theta := make([]float64, md.NumParams())
	grad := make([]float64, md.NumParams())
	for step := 0; step < 200; step++ {
		md.LossGrad(theta, d.X, d.Y, grad)
		for i := range theta {
			theta[i] -= 1.0 * grad[i]
		}
	}
	labels := make([]int, d.Rows)
	md.Classify(theta, d.X, make([]float64, d.Rows), labels)
	correct := 0
	for i, l := range labels {
		if float64(l) == d.Y[i] {
			correct++
		}
	}
	fmt.Printf("training accuracy ≥ 0.97: %v\n", float64(correct)/float64(d.Rows) >= 0.97)
	// Output: training accuracy ≥ 0.97: true
}

// Softmax regression: probabilities of three classes for one row.
func ExampleNewSoftmax() {
	md := linear.NewSoftmax[float32](2, 3, linear.Options{})
	theta := []float32{ // W, 2 features × 3 classes
		1, 0, -1,
		0, 1, -1,
	}
	x := []float32{2, 1} // logits (2, 1, −3)
	probs := make([]float32, 3)
	md.Predict(theta, x, probs)
	fmt.Printf("%.3f\n", probs)
	fmt.Printf("loss if the class is 0: %.4f\n", md.Loss(theta, x, []float32{0}))
	// Output:
	// [0.727 0.268 0.005]
	// loss if the class is 0: 0.3182
}

// Check reports bad data before training.
func ExampleModel_Check() {
	md := linear.NewLogistic[float64](2, linear.Options{})
	err := md.Check([]float64{1, 2, 3, 4}, []float64{0, 2})
	fmt.Println(err)
	// Output: linear: y[1] = 2, want a label in [0, 1]: invalid label
}
