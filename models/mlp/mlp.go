// Package mlp is a multilayer perceptron classifier written against
// train.Model: one hidden layer of ReLU units and a softmax output, in
// float32, with its backward pass written by hand through blas.Gemm. It is
// what `descent train --model mlp` trains, and an example of a network of
// one's own getting descent's training loop, early stopping, checkpoints
// and optimizers.
//
// The output layer is a linear softmax model (package linear) whose
// LossGradInput gives the gradient with respect to the hidden activations;
// the hidden layer's gradient follows by the ReLU mask and two products:
//
//	H  = relu(X·W1 + b1)                  m × hidden
//	L  = softmax cross-entropy of H·W2 + b2 (linear.Model, mean over rows)
//	dH = ∂L/∂H ⊙ [H > 0]                  (LossGradInput, then the mask)
//	∂L/∂W1 = Xᵀ·dH,  ∂L/∂b1 = Σ_rows dH
package mlp

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/train"
)

// Config configures an MLP.
type Config struct {
	Features, Hidden, Classes int     // ≥ 1, ≥ 1, ≥ 2
	Seed                      uint64  // of the initial weights
	L2                        float64 // ridge penalty of the output layer's weights (≥ 0)
	BLAS                      *blas.Impl
}

// Parameter names, in Params' order.
const (
	HiddenName = "hidden" // (features+1) × hidden: W1 by rows, then the bias row b1
	OutputName = "output" // (hidden+1) × classes: W2 by rows, then the bias row b2
)

// MLP is a one-hidden-layer perceptron classifier; it implements
// train.Model and train.Evaluator. Like linear.Model it keeps buffers: one
// MLP must not be used by several goroutines at once.
type MLP struct {
	cfg    Config
	impl   *blas.Impl
	out    *linear.Model[float32]
	w1, g1 []float32
	w2, g2 []float32

	xb, yb, h, dh, logits []float32
	labels                []int
}

// evalBlock is the number of rows Loss and Metrics evaluate at once.
const evalBlock = 256

// New returns an MLP with Glorot-uniform initial weights drawn from
// cfg.Seed (the same on every CPU) and zero biases.
func New(cfg Config) (*MLP, error) {
	switch {
	case cfg.Features < 1 || cfg.Hidden < 1:
		return nil, fmt.Errorf("mlp: %d features, %d hidden units: want ≥ 1", cfg.Features, cfg.Hidden)
	case cfg.Classes < 2:
		return nil, fmt.Errorf("mlp: %d classes: want ≥ 2", cfg.Classes)
	case !(cfg.L2 >= 0) || math.IsInf(cfg.L2, 0):
		return nil, fmt.Errorf("mlp: L2 %v: want finite and ≥ 0", cfg.L2)
	}
	impl := cfg.BLAS
	if impl == nil {
		impl = blas.Default()
	}
	n, hid, k := cfg.Features, cfg.Hidden, cfg.Classes
	m := &MLP{cfg: cfg, impl: impl,
		out: linear.NewSoftmax[float32](hid, k, linear.Options{Intercept: true, L2: cfg.L2, BLAS: impl, BlockRows: linear.NoBlocking}),
		w1:  make([]float32, (n+1)*hid), g1: make([]float32, (n+1)*hid),
		w2: make([]float32, (hid+1)*k), g2: make([]float32, (hid+1)*k)}
	rng := train.NewRNG(train.DeriveSeed(cfg.Seed, 0x6d6c70))
	glorot := func(w []float32, fanIn, fanOut int) {
		a := math.Sqrt(6 / float64(fanIn+fanOut))
		for i := range w[:fanIn*fanOut] {
			w[i] = float32((2*rng.Float64() - 1) * a)
		}
	}
	glorot(m.w1, n, hid)
	glorot(m.w2, hid, k)
	return m, nil
}

// Params returns the two layers' parameters, HiddenName and OutputName.
func (m *MLP) Params() []optim.Param {
	p1 := optim.Float32(HiddenName, m.w1, m.g1)
	p1.Shape = []int{m.cfg.Features + 1, m.cfg.Hidden}
	p2 := optim.Float32(OutputName, m.w2, m.g2)
	p2.Shape = []int{m.cfg.Hidden + 1, m.cfg.Classes}
	return []optim.Param{p1, p2}
}

// Config returns the configuration.
func (m *MLP) Config() Config { return m.cfg }

// buffers sizes the batch buffers for rows rows.
func (m *MLP) buffers(rows int) {
	n, hid, k := m.cfg.Features, m.cfg.Hidden, m.cfg.Classes
	if cap(m.yb) < rows {
		m.xb, m.yb = make([]float32, rows*n), make([]float32, rows)
		m.h, m.dh = make([]float32, rows*hid), make([]float32, rows*hid)
		m.logits, m.labels = make([]float32, rows*k), make([]int, rows)
	}
}

// forward gathers rows of d (or rows lo..hi when rows is nil) into the
// batch buffers and computes the hidden activations H; it returns the
// batch size.
func (m *MLP) forward(d *datasets.Dataset, rows []int, lo, hi int) int {
	n, hid := m.cfg.Features, m.cfg.Hidden
	mb := hi - lo
	if rows != nil {
		mb = len(rows)
	}
	m.buffers(mb)
	xb, yb, h := m.xb[:mb*n], m.yb[:mb], m.h[:mb*hid]
	for i := range mb {
		r := lo + i
		if rows != nil {
			r = rows[i]
		}
		for j, v := range d.X[r*n : (r+1)*n] {
			xb[i*n+j] = float32(v)
		}
		yb[i] = float32(d.Y[r])
	}
	blas.Gemm(m.impl, blas.NoTrans, blas.NoTrans, mb, hid, n, 1, xb, n, m.w1, hid, 0, h, hid)
	b1 := m.w1[n*hid:]
	for i := range mb {
		row := h[i*hid : (i+1)*hid]
		for j := range row {
			row[j] = max(row[j]+b1[j], 0)
		}
	}
	return mb
}

// LossGrad writes the gradient of the mean cross-entropy over the rows of
// d into the parameters' gradients and returns the loss.
func (m *MLP) LossGrad(d *datasets.Dataset, rows []int) float64 {
	n, hid := m.cfg.Features, m.cfg.Hidden
	mb := m.forward(d, rows, 0, 0)
	xb, yb, h, dh := m.xb[:mb*n], m.yb[:mb], m.h[:mb*hid], m.dh[:mb*hid]
	loss := m.out.LossGradInput(m.w2, h, yb, m.g2, dh)
	for i, a := range h { // ReLU: no gradient where the unit was off
		if a <= 0 {
			dh[i] = 0
		}
	}
	blas.Gemm(m.impl, blas.Trans, blas.NoTrans, n, hid, mb, 1, xb, n, dh, hid, 0, m.g1[:n*hid], hid)
	gb := m.g1[n*hid:]
	clear(gb)
	for i := range mb {
		for j, v := range dh[i*hid : (i+1)*hid] {
			gb[j] += v
		}
	}
	return float64(loss)
}

// Loss returns the mean cross-entropy over every row of d.
func (m *MLP) Loss(d *datasets.Dataset) float64 {
	return m.Metrics(d).Loss
}

// Metrics returns the loss and the accuracy on d.
func (m *MLP) Metrics(d *datasets.Dataset) train.Metrics {
	res := train.Metrics{Rows: d.Rows, Loss: math.NaN(), Accuracy: math.NaN(), R2: math.NaN()}
	if d.Rows == 0 {
		return res
	}
	hid, k := m.cfg.Hidden, m.cfg.Classes
	var sum float64
	ok := 0
	for lo := 0; lo < d.Rows; lo += evalBlock {
		hi := min(lo+evalBlock, d.Rows)
		mb := m.forward(d, nil, lo, hi)
		h, yb := m.h[:mb*hid], m.yb[:mb]
		sum += float64(m.out.Loss(m.w2, h, yb)) * float64(mb)
		labels := m.labels[:mb]
		m.out.Classify(m.w2, h, m.logits[:mb*k], labels)
		for i, l := range labels {
			if float64(l) == d.Y[lo+i] {
				ok++
			}
		}
	}
	res.Loss = sum / float64(d.Rows)
	res.Accuracy = float64(ok) / float64(d.Rows)
	return res
}

// CheckData returns an error unless d has the MLP's number of features,
// finite values and labels that are class indices below Classes.
func (m *MLP) CheckData(d *datasets.Dataset) error {
	if err := d.Check(); err != nil {
		return err
	}
	if d.Cols != m.cfg.Features {
		return fmt.Errorf("%d features, the MLP takes %d", d.Cols, m.cfg.Features)
	}
	for i, v := range d.X {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("row %d, column %d: %v", i/d.Cols, i%d.Cols, v)
		}
	}
	for i, y := range d.Y {
		if y != math.Trunc(y) || y < 0 || y >= float64(m.cfg.Classes) {
			return fmt.Errorf("row %d: label %v is not a class index below %d", i, y, m.cfg.Classes)
		}
	}
	return nil
}

var _ train.Evaluator = (*MLP)(nil)
