// Package lean measures what memory-lean optimizer storage costs in
// quality: it trains the embedded digits dataset with a softmax regression
// and a one-hidden-layer MLP (64→128→10, models/mlp's hand-written
// backward pass) under Adam with float32 state, with 8-bit blockwise state,
// and with bfloat16 parameters and gradients over float32 master weights —
// the same seeds, batches and hyper-parameters — and records the
// validation loss and accuracy of every epoch.
//
// The bfloat16 runs are what a bfloat16 model sees: the forward and
// backward passes read the parameters rounded to bfloat16 (the optimizer's
// Data16), and their gradients are rounded to bfloat16 before the step.
// The 8-bit runs quantize every tensor (Min8Bit = 1), smaller than the
// default threshold included: the harshest setting.
package lean

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/models/mlp"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/train"
)

// Storages are the optimizer storages compared.
var Storages = []string{"fp32", "8bit", "bf16-master"}

// Models are the models trained.
var Models = []string{"softmax", "mlp"}

// Config is an experiment's setting.
type Config struct {
	Epochs int     // passes over the training rows
	Batch  int     // rows per step
	LR     float64 // Adam's learning rate
	Seed   uint64  // of the split
	Seeds  int     // trainings per model and storage, seeds 1…Seeds of the shuffles and initial weights
}

// DefaultConfig is what the README's table was measured with.
func DefaultConfig() Config { return Config{Epochs: 40, Batch: 32, LR: 3e-3, Seed: 1, Seeds: 5} }

// Run is one model trained with one storage, averaged over the seeds.
type Run struct {
	Model, Storage string
	Loss, Accuracy []float64 // mean validation loss and accuracy after each epoch
	Finals         []float64 // each seed's final validation accuracy
	StateBytes     int64     // what the optimizer keeps: master weights and state
	Params         int       // parameters
}

// Final returns the run's mean validation accuracy after its last epoch.
func (r *Run) Final() float64 { return r.Accuracy[len(r.Accuracy)-1] }

// net is a model with float32 parameters.
type net interface {
	params() []optim.Param
	lossGrad(d *datasets.Dataset, rows []int) float64
	metrics(d *datasets.Dataset) (loss, acc float64)
}

// Compare trains every model with every storage and returns the runs, in
// Models × Storages order.
func Compare(cfg Config) ([]*Run, error) {
	d, err := datasets.Load("digits")
	if err != nil {
		return nil, err
	}
	tr, val := d.Split(0.25, cfg.Seed)
	mean, scale := tr.Standardize()
	val.StandardizeWith(mean, scale)
	var runs []*Run
	for _, model := range Models {
		for _, storage := range Storages {
			var mean *Run
			for seed := 1; seed <= cfg.Seeds; seed++ {
				r, err := run(cfg, uint64(seed), model, storage, tr, val)
				if err != nil {
					return nil, fmt.Errorf("%s/%s: %w", model, storage, err)
				}
				if mean == nil {
					mean = r
					mean.Finals = []float64{r.Final()}
					continue
				}
				for e := range r.Loss {
					mean.Loss[e] += r.Loss[e]
					mean.Accuracy[e] += r.Accuracy[e]
				}
				mean.Finals = append(mean.Finals, r.Final())
			}
			for e := range mean.Loss {
				mean.Loss[e] /= float64(cfg.Seeds)
				mean.Accuracy[e] /= float64(cfg.Seeds)
			}
			runs = append(runs, mean)
		}
	}
	return runs, nil
}

func newNet(model string, d *datasets.Dataset, seed uint64) (net, error) {
	if model == "softmax" {
		return newSoftmax(d.Cols, d.Classes), nil
	}
	m, err := mlp.New(mlp.Config{Features: d.Cols, Hidden: 128, Classes: d.Classes, Seed: seed})
	if err != nil {
		return nil, err
	}
	return mlpNet{m}, nil
}

func run(cfg Config, seed uint64, model, storage string, tr, val *datasets.Dataset) (*Run, error) {
	m, err := newNet(model, tr, seed)
	if err != nil {
		return nil, err
	}
	ps := m.params()
	g := optim.Group{Params: ps, Hyper: optim.Values{"lr": cfg.LR}}
	// The bfloat16 copies the optimizer updates, and the model's float32
	// views of them.
	var d16, g16 [][]uint16
	switch storage {
	case "8bit":
		g.State, g.Min8Bit = optim.State8Bit, 1
	case "bf16-master":
		g.Params = nil
		for _, p := range ps {
			d, gr := make([]uint16, len(p.Data32)), make([]uint16, len(p.Data32))
			kernels.Narrow(kernels.BF16, d, p.Data32)
			d16, g16 = append(d16, d), append(g16, gr)
			q := optim.Half16(p.Name, kernels.BF16, d, gr)
			q.Shape = p.Shape
			g.Params = append(g.Params, q)
		}
	}
	o, err := optim.New("adam", []optim.Group{g}, optim.WithWorkers(1))
	if err != nil {
		return nil, err
	}
	defer o.Close()
	sync := func() { // the model reads the bfloat16 parameters
		for i, p := range ps {
			kernels.Widen(kernels.BF16, p.Data32, d16[i])
		}
	}
	if d16 != nil {
		sync()
	}
	r := &Run{Model: model, Storage: storage, StateBytes: o.StateBytes()}
	for _, p := range ps {
		r.Params += len(p.Data32)
	}
	rng := train.NewRNG(train.DeriveSeed(seed, 7))
	rows := make([]int, tr.Rows)
	for i := range rows {
		rows[i] = i
	}
	for range cfg.Epochs {
		for i := len(rows) - 1; i > 0; i-- {
			j := rng.Intn(i + 1)
			rows[i], rows[j] = rows[j], rows[i]
		}
		for lo := 0; lo < len(rows); lo += cfg.Batch {
			m.lossGrad(tr, rows[lo:min(lo+cfg.Batch, len(rows))])
			for i, p := range ps {
				if g16 != nil {
					kernels.Narrow(kernels.BF16, g16[i], p.Grad32)
				}
			}
			if _, err := o.Step(); err != nil {
				return nil, err
			}
			if d16 != nil {
				sync()
			}
		}
		loss, acc := m.metrics(val)
		r.Loss, r.Accuracy = append(r.Loss, loss), append(r.Accuracy, acc)
	}
	return r, nil
}

// softmax is multinomial logistic regression in float32.
type softmax struct {
	md      *linear.Model[float32]
	w, g    []float32
	xb, yb  []float32
	scratch []float32
	labels  []int
}

func newSoftmax(features, classes int) *softmax {
	md := linear.NewSoftmax[float32](features, classes, linear.Options{Intercept: true})
	return &softmax{md: md, w: make([]float32, md.NumParams()), g: make([]float32, md.NumParams())}
}

func (s *softmax) params() []optim.Param {
	p := optim.Float32("theta", s.w, s.g)
	p.Shape = []int{s.md.Features() + 1, s.md.Outputs()}
	return []optim.Param{p}
}

func (s *softmax) gather(d *datasets.Dataset, rows []int) ([]float32, []float32) {
	nf := d.Cols
	if need := len(rows) * nf; cap(s.xb) < need {
		s.xb, s.yb = make([]float32, need), make([]float32, len(rows))
	}
	xb, yb := s.xb[:len(rows)*nf], s.yb[:len(rows)]
	for i, r := range rows {
		for j, v := range d.Row(r) {
			xb[i*nf+j] = float32(v)
		}
		yb[i] = float32(d.Y[r])
	}
	return xb, yb
}

func (s *softmax) lossGrad(d *datasets.Dataset, rows []int) float64 {
	xb, yb := s.gather(d, rows)
	return float64(s.md.LossGrad(s.w, xb, yb, s.g))
}

func (s *softmax) metrics(d *datasets.Dataset) (float64, float64) {
	rows := make([]int, d.Rows)
	for i := range rows {
		rows[i] = i
	}
	xb, yb := s.gather(d, rows)
	loss := float64(s.md.Loss(s.w, xb, yb))
	s.scratch = make([]float32, d.Rows*s.md.Outputs())
	s.labels = make([]int, d.Rows)
	s.md.Classify(s.w, xb, s.scratch, s.labels)
	ok := 0
	for i, l := range s.labels {
		if float64(l) == d.Y[i] {
			ok++
		}
	}
	return loss, float64(ok) / float64(d.Rows)
}

// mlpNet adapts models/mlp.
type mlpNet struct{ m *mlp.MLP }

func (n mlpNet) params() []optim.Param { return n.m.Params() }

func (n mlpNet) lossGrad(d *datasets.Dataset, rows []int) float64 { return n.m.LossGrad(d, rows) }

func (n mlpNet) metrics(d *datasets.Dataset) (float64, float64) {
	m := n.m.Metrics(d)
	return m.Loss, m.Accuracy
}

// MaxGap returns, per model, the largest gap in mean final validation
// accuracy (in points) between the fp32 run and another storage's.
func MaxGap(runs []*Run) map[string]float64 {
	base := map[string]float64{}
	for _, r := range runs {
		if r.Storage == "fp32" {
			base[r.Model] = r.Final()
		}
	}
	gap := map[string]float64{}
	for _, r := range runs {
		gap[r.Model] = math.Max(gap[r.Model], 100*math.Abs(r.Final()-base[r.Model]))
	}
	return gap
}
