package train

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
)

// Metrics are a model's quality on some data.
type Metrics struct {
	Rows     int
	Loss     float64 // the model's loss (with its penalty)
	Accuracy float64 // fraction of rows classified correctly; NaN for least squares
	R2       float64 // coefficient of determination 1 − SSE/SST; NaN for classifiers
}

// String formats the metrics that apply to the model.
func (m Metrics) String() string {
	if !math.IsNaN(m.Accuracy) {
		return fmt.Sprintf("loss %.4f  accuracy %.4f  (%d rows)", m.Loss, m.Accuracy, m.Rows)
	}
	return fmt.Sprintf("loss %.4f  R² %.4f  (%d rows)", m.Loss, m.R2, m.Rows)
}

// Evaluate computes the metrics of the model with parameters theta on d
// (nil or no rows: a NaN loss). It allocates its scratch space.
func Evaluate(md *linear.Model[float64], theta []float64, d *datasets.Dataset) Metrics {
	m := 0
	if d != nil {
		m = d.Rows
	}
	res := Metrics{Rows: m, Accuracy: math.NaN(), R2: math.NaN()}
	if m == 0 {
		res.Loss = math.NaN()
		return res
	}
	res.Loss = md.Loss(theta, d.X, d.Y)
	out := make([]float64, m*md.Outputs())
	if md.Objective() == linear.SquaredError {
		md.Predict(theta, d.X, out)
		mean := 0.0
		for _, y := range d.Y {
			mean += y
		}
		mean /= float64(m)
		var sse, sst float64
		for i, y := range d.Y {
			sse += (out[i] - y) * (out[i] - y)
			sst += (y - mean) * (y - mean)
		}
		res.R2 = 1 - sse/sst
		return res
	}
	labels := make([]int, m)
	md.Classify(theta, d.X, out, labels)
	ok := 0
	for i, l := range labels {
		if float64(l) == d.Y[i] {
			ok++
		}
	}
	res.Accuracy = float64(ok) / float64(m)
	return res
}
