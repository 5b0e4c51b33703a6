package train

import (
	"math"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/optim"
)

// Model is what a Trainer trains: any differentiable model whose
// parameters an optimizer of package optim updates in place — descent's
// linear models (through Linear) or a caller's own network (see package
// models/mlp for one written against this interface).
type Model interface {
	// Params returns the model's parameters: data and gradient slices the
	// model owns, float32 or float64, the same slices on every call. The
	// Trainer builds its optimizer over them.
	Params() []optim.Param
	// LossGrad writes into the parameters' gradients the gradient of the
	// mean loss over the given rows of d, and returns that loss. The
	// Trainer calls it once per batch, then steps the optimizer; it should
	// not allocate after its first call with the largest batch.
	LossGrad(d *datasets.Dataset, rows []int) float64
	// Loss returns the mean loss over every row of d (the validation loss).
	Loss(d *datasets.Dataset) float64
	// CheckData returns an error if d does not suit the model (its number
	// of features, its labels); Fit calls it once per data set.
	CheckData(d *datasets.Dataset) error
}

// Evaluator is implemented by models that report more than their loss;
// EvaluateModel uses it.
type Evaluator interface {
	Metrics(d *datasets.Dataset) Metrics
}

// EvaluateModel returns m's metrics on d: its Metrics if it is an
// Evaluator, otherwise its loss (accuracy and R² NaN). nil or empty d
// gives a NaN loss.
func EvaluateModel(m Model, d *datasets.Dataset) Metrics {
	if d == nil || d.Rows == 0 {
		return Metrics{Loss: math.NaN(), Accuracy: math.NaN(), R2: math.NaN()}
	}
	if e, ok := m.(Evaluator); ok {
		return e.Metrics(d)
	}
	return Metrics{Rows: d.Rows, Loss: m.Loss(d), Accuracy: math.NaN(), R2: math.NaN()}
}

// Linear is a linear model of package linear as a Model: its parameters
// θ (one float64 parameter named ParamName, zero at NewLinear) and their
// gradient, and batch buffers.
type Linear struct {
	Model *linear.Model[float64]
	Theta []float64
	Grad  []float64

	xb, yb []float64
}

// NewLinear returns md as a Model with θ = 0.
func NewLinear(md *linear.Model[float64]) *Linear {
	n := md.NumParams()
	return &Linear{Model: md, Theta: make([]float64, n), Grad: make([]float64, n)}
}

// Param returns θ and its gradient as the optimizer parameter ParamName,
// shaped (features+1) × outputs with an intercept row last when the model
// has one, features × outputs otherwise.
func (l *Linear) Param() optim.Param {
	p := optim.Float64(ParamName, l.Theta, l.Grad)
	k := l.Model.Outputs()
	p.Shape = []int{len(l.Theta) / k, k}
	return p
}

// Params returns the one parameter, Param().
func (l *Linear) Params() []optim.Param { return []optim.Param{l.Param()} }

// LossGrad gathers the rows into the batch buffers and returns the model's
// LossGrad on them.
func (l *Linear) LossGrad(d *datasets.Dataset, rows []int) float64 {
	nf := l.Model.Features()
	if need := len(rows) * nf; cap(l.xb) < need {
		l.xb = make([]float64, need)
		l.yb = make([]float64, len(rows))
	}
	xb, yb := l.xb[:len(rows)*nf], l.yb[:len(rows)]
	for i, r := range rows {
		copy(xb[i*nf:(i+1)*nf], d.X[r*nf:(r+1)*nf])
		yb[i] = d.Y[r]
	}
	return l.Model.LossGrad(l.Theta, xb, yb, l.Grad)
}

// Loss returns the model's loss on all of d.
func (l *Linear) Loss(d *datasets.Dataset) float64 { return l.Model.Loss(l.Theta, d.X, d.Y) }

// CheckData is the function CheckData for the model.
func (l *Linear) CheckData(d *datasets.Dataset) error { return CheckData(l.Model, d) }

// Metrics is Evaluate.
func (l *Linear) Metrics(d *datasets.Dataset) Metrics { return Evaluate(l.Model, l.Theta, d) }

// snapshot holds copies of a model's parameter data (RestoreBest).
type snapshot struct {
	f32 [][]float32
	f64 [][]float64
}

func (s *snapshot) save(ps []optim.Param) {
	if s.f32 == nil {
		s.f32, s.f64 = make([][]float32, len(ps)), make([][]float64, len(ps))
	}
	for i, p := range ps {
		s.f32[i] = append(s.f32[i][:0], p.Data32...)
		s.f64[i] = append(s.f64[i][:0], p.Data64...)
	}
}

func (s *snapshot) restore(ps []optim.Param) {
	if s.f32 == nil {
		return
	}
	for i, p := range ps {
		copy(p.Data32, s.f32[i])
		copy(p.Data64, s.f64[i])
	}
}
