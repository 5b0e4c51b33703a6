package train

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/optim"
)

// ParamName is the name of the single parameter, θ, in the optimizers the
// Trainer builds (and so in their checkpoints).
const ParamName = "theta"

// Config configures a training run.
type Config struct {
	// Epochs is the number of passes over the training data (≥ 1), counted
	// from the start of training, resumed runs included.
	Epochs int
	// BatchSize is the number of rows per optimizer step; 0, or anything ≥
	// the number of rows, is full-batch gradient descent.
	BatchSize int
	// Seed fixes the shuffling: epoch e visits the rows in an order that
	// depends only on (Seed, e), so a resumed run sees the same batches as an
	// uninterrupted one.
	Seed uint64
	// NoShuffle visits the rows in their order every epoch.
	NoShuffle bool
	// StartEpoch is the number of epochs already completed (when resuming
	// from a checkpoint); training runs epochs StartEpoch+1 … Epochs.
	StartEpoch int
	// Patience > 0 enables early stopping: training ends after Patience
	// epochs in a row without an improvement of the monitored loss (the
	// validation loss when validation data are given, else the training
	// loss) by more than MinDelta.
	Patience int
	MinDelta float64
	// RestoreBest puts back, when training ends, the θ of the epoch with the
	// best monitored loss (the optimizer's state is left as it is).
	RestoreBest bool
	// OnEvent, if set, receives progress events on the training goroutine;
	// it must return quickly (to feed a channel, send from it). It is called
	// once per batch, so it should not allocate if steps are to stay
	// allocation-free.
	OnEvent func(Event)
	// Callbacks run after every epoch, in order, with its statistics;
	// returning ErrStop ends training without error, any other error ends it
	// with that error.
	Callbacks []func(EpochStats) error
}

// ErrStop, returned by a callback, ends training early without an error.
var ErrStop = errors.New("train: stop")

// EventKind says what an Event reports.
type EventKind uint8

const (
	EpochStart EventKind = iota // an epoch begins: Epoch, Epochs, Batches, LR
	BatchEnd                    // a batch was stepped: Batch, Step, Loss (the batch's, before its step), LR (the step's)
	EpochEnd                    // an epoch ended: Loss (mean training loss), ValLoss, LR, Best
)

func (k EventKind) String() string {
	switch k {
	case EpochStart:
		return "epoch-start"
	case BatchEnd:
		return "batch-end"
	case EpochEnd:
		return "epoch-end"
	}
	return fmt.Sprintf("EventKind(%d)", k)
}

// Event is a progress report of the training loop.
type Event struct {
	Kind           EventKind
	Epoch, Epochs  int // current epoch (1-based) and last epoch
	Batch, Batches int // batch within the epoch (1-based; 0 at EpochStart) and batches per epoch
	Step           int // optimizer updates taken so far
	Loss           float64
	ValLoss        float64 // NaN without validation data
	LR             float64 // learning rate of the last update (the base rate before the first)
	Best           bool    // EpochEnd: this epoch improved the monitored loss
}

// EpochStats are the statistics of one epoch, kept in History and given to
// callbacks.
type EpochStats struct {
	Epoch     int
	TrainLoss float64 // mean over the epoch's batches of each batch's loss before its step, weighted by rows
	ValLoss   float64 // loss on the validation data after the epoch; NaN without
	LR        float64 // learning rate of the epoch's last update
	Steps     int     // optimizer updates taken so far
	Elapsed   time.Duration
}

// History is what a run did.
type History struct {
	Epochs    []EpochStats
	BestEpoch int     // epoch of the best monitored loss (0 if none ran)
	BestLoss  float64 // that loss
	Stopped   bool    // ended early: early stopping or a callback's ErrStop
}

// NonFiniteError reports a loss (or gradient) that became NaN or ±Inf.
// Training stops before applying that batch, so θ holds the last finite
// parameters.
type NonFiniteError struct {
	Epoch, Batch int     // 1-based; Batch 0 means the validation loss
	Loss         float64 // the offending loss (finite when the gradient was not)
}

func (e *NonFiniteError) Error() string {
	if e.Batch == 0 {
		return fmt.Sprintf("train: validation loss is %v after epoch %d", e.Loss, e.Epoch)
	}
	if math.IsNaN(e.Loss) || math.IsInf(e.Loss, 0) {
		return fmt.Sprintf("train: loss is %v at epoch %d, batch %d (try a smaller learning rate)", e.Loss, e.Epoch, e.Batch)
	}
	return fmt.Sprintf("train: non-finite gradient at epoch %d, batch %d (loss %g; try a smaller learning rate)", e.Epoch, e.Batch, e.Loss)
}

// Unwrap returns optim.ErrNonFinite.
func (e *NonFiniteError) Unwrap() error { return optim.ErrNonFinite }

// Trainer trains a Model's parameters with an optimizer of package optim:
// the loop writes each batch's gradient into the parameters' gradient
// slices and the optimizer updates their data in place.
type Trainer struct {
	// Net is the model being trained.
	Net Model
	// Model, Theta and Grad are the linear model, its parameters θ (zero at
	// New) and their gradient when the Trainer was made by New (Net is then
	// a *Linear over them); nil for NewModel's. Model may be replaced
	// between calls by another model of the same kind and shape (one per
	// goroutine, for its workspace): TrainBatch and Fit use the current one.
	Model *linear.Model[float64]
	Theta []float64
	Grad  []float64
	// Opt is the optimizer; Build makes one, or set it to any optimizer built
	// over Net.Params() (the same slices, or the loop's gradients never reach
	// it).
	Opt *optim.Optimizer
	Config

	perm []int
	best snapshot
}

// New returns a Trainer for the linear model with θ = 0. Build (or setting
// Opt) must follow before Fit.
func New(model *linear.Model[float64], cfg Config) *Trainer {
	l := NewLinear(model)
	return &Trainer{Net: l, Model: model, Theta: l.Theta, Grad: l.Grad, Config: cfg}
}

// NewModel returns a Trainer for any Model (a network of the caller's, …).
// Build (or setting Opt) must follow before Fit.
func NewModel(m Model, cfg Config) *Trainer {
	t := &Trainer{Net: m, Config: cfg}
	if l, ok := m.(*Linear); ok {
		t.Model, t.Theta, t.Grad = l.Model, l.Theta, l.Grad
	}
	return t
}

// Param returns a linear model's θ and its gradient as the optimizer
// parameter ParamName (see Linear.Param). It panics for a Trainer of
// another Model: use Net.Params.
func (t *Trainer) Param() optim.Param {
	l, ok := t.Net.(*Linear)
	if !ok {
		panic("train: Param: the model is not linear (use Net.Params)")
	}
	return l.Param()
}

// Build sets t.Opt to a new optimizer of the given spec over the model's
// parameters, with the schedule (nil: constant). Any previous optimizer is
// closed.
func (t *Trainer) Build(spec OptimSpec, sched optim.Schedule, opts ...optim.Option) error {
	o, err := spec.New(t.Net.Params(), sched, opts...)
	if err != nil {
		return err
	}
	if t.Opt != nil {
		t.Opt.Close()
	}
	t.Opt = o
	return nil
}

// BatchesPerEpoch returns the number of optimizer steps per epoch on rows
// rows with the configured batch size.
func (t *Trainer) BatchesPerEpoch(rows int) int {
	b := t.batchSize(rows)
	if b == 0 {
		return 0
	}
	return (rows + b - 1) / b
}

func (t *Trainer) batchSize(rows int) int {
	if t.BatchSize <= 0 || t.BatchSize > rows {
		return rows
	}
	return t.BatchSize
}

// TrainBatch does one optimizer step on the given rows of d: the model
// writes the gradient of its loss on them (Model.LossGrad; a linear model
// gathers them into its batch buffer) and the optimizer steps. It returns
// the batch's loss before the step. A non-finite loss or gradient returns
// an error wrapping optim.ErrNonFinite and changes nothing. After the first
// call with the largest batch it allocates nothing (if the model does not).
// d's shape is not checked here (Fit checks it once): its rows must have
// the model's number of features. A Schedule-Free optimizer in evaluation
// mode is switched back to training mode first (optim.Optimizer.Train).
func (t *Trainer) TrainBatch(d *datasets.Dataset, rows []int) (float64, error) {
	t.syncLinear()
	t.Opt.Train()
	loss := t.Net.LossGrad(d, rows)
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, optim.ErrNonFinite
	}
	if _, err := t.Opt.Step(); err != nil {
		return loss, err
	}
	return loss, nil
}

// Fit trains on tr for the configured epochs, evaluating on val after every
// epoch when val is not nil and has rows. It returns the history so far with
// an error when a data set's shape is inconsistent (Dataset.Check) or not
// the model's, the data fail the model's Check, a loss or gradient becomes
// non-finite (a *NonFiniteError naming the epoch and batch), the optimizer
// fails, or a callback returns an error other than ErrStop.
func (t *Trainer) Fit(tr, val *datasets.Dataset) (*History, error) {
	t.syncLinear()
	if t.Opt == nil {
		return nil, errors.New("train: no optimizer (call Build first)")
	}
	if t.Epochs < 1 {
		return nil, fmt.Errorf("train: %d epochs, need at least 1", t.Epochs)
	}
	if tr == nil || tr.Rows == 0 {
		return nil, errors.New("train: no training rows")
	}
	m := tr.Rows
	if err := tr.Check(); err != nil {
		return nil, fmt.Errorf("train: training data: %w", err)
	}
	if err := t.Net.CheckData(tr); err != nil {
		return nil, fmt.Errorf("train: training data: %w", err)
	}
	hasVal := val != nil && val.Rows > 0
	if hasVal {
		err := val.Check()
		if err == nil {
			err = t.Net.CheckData(val)
		}
		if err != nil {
			return nil, fmt.Errorf("train: validation data: %w", err)
		}
	}
	bs := t.batchSize(m)
	batches := (m + bs - 1) / bs
	if cap(t.perm) < m {
		t.perm = make([]int, m)
	}
	perm := t.perm[:m]
	h := &History{BestLoss: math.Inf(1)}
	if t.RestoreBest {
		t.best.save(t.Net.Params())
	}
	sinceBest := 0
	for epoch := t.StartEpoch + 1; epoch <= t.Epochs; epoch++ {
		start := time.Now()
		for i := range perm {
			perm[i] = i
		}
		if !t.NoShuffle {
			shuffle(perm, DeriveSeed(t.Seed, uint64(epoch)))
		}
		t.emit(Event{Kind: EpochStart, Epoch: epoch, Epochs: t.Epochs, Batches: batches, Step: t.Opt.StepCount(), LR: t.Opt.LR(0), ValLoss: math.NaN()})
		sum := 0.0
		for b := 0; b < batches; b++ {
			rows := perm[b*bs : min((b+1)*bs, m)]
			loss, err := t.TrainBatch(tr, rows)
			if err != nil {
				if errors.Is(err, optim.ErrNonFinite) {
					return h, &NonFiniteError{Epoch: epoch, Batch: b + 1, Loss: loss}
				}
				return h, fmt.Errorf("train: epoch %d, batch %d: %w", epoch, b+1, err)
			}
			sum += loss * float64(len(rows))
			if t.OnEvent != nil {
				t.OnEvent(Event{Kind: BatchEnd, Epoch: epoch, Epochs: t.Epochs, Batch: b + 1, Batches: batches,
					Step: t.Opt.StepCount(), Loss: loss, ValLoss: math.NaN(), LR: t.Opt.LR(0)})
			}
		}
		st := EpochStats{Epoch: epoch, TrainLoss: sum / float64(m), ValLoss: math.NaN(), LR: t.Opt.LR(0),
			Steps: t.Opt.StepCount()}
		monitor := st.TrainLoss
		// Schedule-Free: validate, snapshot and end at the average x (a
		// no-op for the other algorithms; the next batch switches back).
		t.Opt.Eval()
		if hasVal {
			st.ValLoss = t.Net.Loss(val)
			if math.IsNaN(st.ValLoss) || math.IsInf(st.ValLoss, 0) {
				return h, &NonFiniteError{Epoch: epoch, Loss: st.ValLoss}
			}
			monitor = st.ValLoss
		}
		st.Elapsed = time.Since(start)
		h.Epochs = append(h.Epochs, st)
		t.Opt.ObserveLoss(monitor) // reduce-on-plateau schedules
		improved := monitor < h.BestLoss-t.MinDelta || h.BestEpoch == 0
		if improved {
			h.BestLoss, h.BestEpoch, sinceBest = monitor, epoch, 0
			if t.RestoreBest {
				t.best.save(t.Net.Params())
			}
		} else {
			sinceBest++
		}
		t.emit(Event{Kind: EpochEnd, Epoch: epoch, Epochs: t.Epochs, Batches: batches, Batch: batches,
			Step: st.Steps, Loss: st.TrainLoss, ValLoss: st.ValLoss, LR: st.LR, Best: improved})
		stop := t.Patience > 0 && sinceBest >= t.Patience
		for _, cb := range t.Callbacks {
			if err := cb(st); err != nil {
				if !errors.Is(err, ErrStop) {
					t.restore(h)
					return h, err
				}
				stop = true
			}
		}
		if stop {
			h.Stopped = true
			break
		}
	}
	t.restore(h)
	return h, nil
}

// CheckData returns an error unless d is consistent (Dataset.Check), has
// the model's number of features, and passes the model's Check (finite
// values, labels the model takes).
func CheckData(md *linear.Model[float64], d *datasets.Dataset) error {
	if err := d.Check(); err != nil {
		return err
	}
	if d.Cols != md.Features() {
		return fmt.Errorf("%d features, the model takes %d", d.Cols, md.Features())
	}
	return md.Check(d.X, d.Y)
}

// syncLinear points a linear Net at the current Model (see Model).
func (t *Trainer) syncLinear() {
	if l, ok := t.Net.(*Linear); ok && t.Model != nil {
		l.Model = t.Model
	}
}

func (t *Trainer) restore(h *History) {
	if t.RestoreBest && h.BestEpoch > 0 {
		t.best.restore(t.Net.Params())
	}
}

func (t *Trainer) emit(e Event) {
	if t.OnEvent != nil {
		t.OnEvent(e)
	}
}

// DeriveSeed mixes a seed with further integers (an epoch, a trial index, a
// fold) into a new seed, with SplitMix64's finaliser; the result depends only
// on its arguments.
func DeriveSeed(seed uint64, parts ...uint64) uint64 {
	s := mix(seed ^ 0x6a09e667f3bcc909)
	for _, p := range parts {
		s = mix(s ^ mix(p+0x9e3779b97f4a7c15))
	}
	return s
}

func mix(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// RNG is a SplitMix64 generator: small, fast and the same on every platform
// and Go version (unlike math/rand's helpers, whose algorithms may change).
type RNG struct{ s uint64 }

// NewRNG returns a generator seeded with seed.
func NewRNG(seed uint64) *RNG { return &RNG{s: seed} }

// Uint64 returns the next 64 random bits.
func (r *RNG) Uint64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix(r.s)
}

// Intn returns a number in [0, n) (n > 0), by Lemire's multiply-shift
// (bias below 2⁻⁶⁴·n).
func (r *RNG) Intn(n int) int {
	hi, _ := bits.Mul64(r.Uint64(), uint64(n))
	return int(hi)
}

// Float64 returns a number in [0, 1) with 53 random bits.
func (r *RNG) Float64() float64 { return float64(r.Uint64()>>11) / (1 << 53) }

// shuffle permutes p in place (Fisher–Yates) from seed.
func shuffle(p []int, seed uint64) {
	r := RNG{s: seed}
	for i := len(p) - 1; i > 0; i-- {
		j := r.Intn(i + 1)
		p[i], p[j] = p[j], p[i]
	}
}

// Shuffle permutes p in place with a Fisher–Yates shuffle driven by an RNG
// seeded with seed.
func Shuffle(p []int, seed uint64) { shuffle(p, seed) }
