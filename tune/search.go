package tune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/train"
)

// Config configures a cross-validated search.
type Config struct {
	// Model returns a new model; Search calls it once per running trial
	// (models are not safe for concurrent use).
	Model func() *linear.Model[float64]
	// Data is the whole data set; it is cut into Folds folds (it is not
	// modified).
	Data *datasets.Dataset
	// Folds is k of k-fold cross-validation (≥ 2); 0 means 5.
	Folds int
	// Standardize centres and scales the features of each fold's training
	// part, and its validation part with the same statistics, so no
	// validation row leaks into the scaling.
	Standardize bool
	// Epochs per fold (≥ 1); 0 means 10.
	Epochs int
	// Schedule applies to every trial (built for Epochs × batches per epoch
	// steps).
	Schedule train.ScheduleSpec
	// Parallel is the number of trials trained at once; ≤ 0 means
	// runtime.GOMAXPROCS(0). Results do not depend on it.
	Parallel int
	// Seed fixes the folds (the same for every trial, so trials are compared
	// on the same splits) and each trial's shuffling, seeded from (Seed,
	// trial index, fold).
	Seed uint64
	// Progress, if set, is called after each trial, one call at a time,
	// with the number of trials done and the trial's result (in completion
	// order, which varies with scheduling; the results do not).
	Progress func(done, total int, r Result)
}

// Result is a trial's cross-validated outcome.
type Result struct {
	Trial
	Rank      int       // 1 for the best
	FoldLoss  []float64 // validation loss of each fold; +Inf once diverged
	MeanLoss  float64   // mean of FoldLoss
	StdLoss   float64   // sample standard deviation of FoldLoss (n−1)
	MeanAcc   float64   // mean validation accuracy (classifiers); NaN for least squares
	MeanTrain float64   // mean final training loss over the folds
	Err       error     // why the trial diverged (a *train.NonFiniteError), or nil
}

// Diverged reports whether a fold's loss became non-finite.
func (r Result) Diverged() bool { return r.Err != nil }

// Search trains every trial on every fold and returns the table of results
// ranked by mean validation loss. A trial whose loss becomes non-finite in
// some fold is marked diverged, with +Inf loss, and ranked after all others;
// its remaining folds are skipped. Search returns an error for a bad
// configuration, a trial whose optimizer cannot be built, or a cancelled ctx.
func Search(ctx context.Context, cfg Config, trials []Trial) (*Table, error) {
	if cfg.Model == nil {
		return nil, errors.New("tune: no model")
	}
	if cfg.Folds == 0 {
		cfg.Folds = 5
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 10
	}
	if cfg.Data == nil {
		return nil, errors.New("tune: no data")
	}
	if err := cfg.Data.Check(); err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	m := cfg.Data.Rows
	switch {
	case cfg.Folds < 2:
		return nil, fmt.Errorf("tune: %d folds, need at least 2", cfg.Folds)
	case m < cfg.Folds:
		return nil, fmt.Errorf("tune: %d rows for %d folds", m, cfg.Folds)
	case cfg.Epochs < 1:
		return nil, fmt.Errorf("tune: %d epochs", cfg.Epochs)
	}
	if err := cfg.Schedule.Check(); err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	probe := cfg.Model()
	if err := train.CheckData(probe, cfg.Data); err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	for i, t := range trials {
		if t.Index != i {
			return nil, fmt.Errorf("tune: trial %d has index %d", i, t.Index)
		}
		if t.BatchSize < 0 {
			return nil, fmt.Errorf("tune: trial %d: batch size %d", i, t.BatchSize)
		}
		o, err := t.Optim.New([]optim.Param{optim.Float64("p", []float64{0}, []float64{0})}, nil)
		if err != nil {
			return nil, fmt.Errorf("tune: trial %d: %w", i, err)
		}
		o.Close()
	}
	folds := makeFolds(cfg.Data, cfg.Folds, cfg.Seed, cfg.Standardize)

	par := cfg.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	par = min(par, max(len(trials), 1))
	results := make([]Result, len(trials))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			md := cfg.Model()
			for i := range next {
				r := runTrial(ctx, md, cfg, folds, trials[i])
				results[i] = r
				if cfg.Progress != nil {
					mu.Lock()
					done++
					cfg.Progress(done, len(trials), r)
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range trials {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return newTable(results, cfg.Folds, probe.Objective()), nil
}

type fold struct{ tr, val *datasets.Dataset }

// makeFolds shuffles the rows with a generator seeded from seed and deals
// them into k folds of sizes differing by at most one: fold f validates on
// shuffled positions [f·m/k, (f+1)·m/k).
func makeFolds(d *datasets.Dataset, k int, seed uint64, standardize bool) []fold {
	m := d.Rows
	perm := make([]int, m)
	for i := range perm {
		perm[i] = i
	}
	train.Shuffle(perm, train.DeriveSeed(seed, 0x666f6c6473))
	out := make([]fold, k)
	for f := range out {
		lo, hi := f*m/k, (f+1)*m/k
		val := d.Subset(perm[lo:hi])
		tr := d.Subset(append(slices.Clone(perm[:lo]), perm[hi:]...))
		if standardize {
			mean, scale := tr.Standardize()
			val.StandardizeWith(mean, scale)
		}
		out[f] = fold{tr, val}
	}
	return out
}

func runTrial(ctx context.Context, md *linear.Model[float64], cfg Config, folds []fold, t Trial) Result {
	r := Result{Trial: t, MeanAcc: math.NaN()}
	var acc float64
	for f, fd := range folds {
		if ctx.Err() != nil {
			break
		}
		tr := train.New(md, train.Config{Epochs: cfg.Epochs, BatchSize: t.BatchSize,
			Seed: train.DeriveSeed(cfg.Seed, uint64(t.Index), uint64(f))})
		sched, err := cfg.Schedule.New(cfg.Epochs * tr.BatchesPerEpoch(fd.tr.Rows))
		if err == nil {
			spec := t.Optim
			spec.Workers = 1
			err = tr.Build(spec, sched)
		}
		if err == nil {
			_, err = tr.Fit(fd.tr, nil)
		}
		if tr.Opt != nil {
			tr.Opt.Close()
		}
		var val train.Metrics
		if err == nil {
			val = train.Evaluate(md, tr.Theta, fd.val)
			if math.IsNaN(val.Loss) || math.IsInf(val.Loss, 0) {
				err = &train.NonFiniteError{Epoch: cfg.Epochs, Loss: val.Loss}
			}
		}
		if err != nil {
			r.Err = fmt.Errorf("fold %d: %w", f+1, err)
			for len(r.FoldLoss) < len(folds) {
				r.FoldLoss = append(r.FoldLoss, math.Inf(1))
			}
			r.MeanLoss, r.StdLoss, r.MeanTrain, r.MeanAcc = math.Inf(1), math.NaN(), math.NaN(), math.NaN()
			return r
		}
		r.FoldLoss = append(r.FoldLoss, val.Loss)
		r.MeanTrain += md.Loss(tr.Theta, fd.tr.X, fd.tr.Y) / float64(len(folds))
		acc += val.Accuracy / float64(len(folds))
	}
	if len(r.FoldLoss) < len(folds) { // cancelled
		r.MeanLoss = math.NaN()
		return r
	}
	r.MeanLoss, r.StdLoss = meanStd(r.FoldLoss)
	r.MeanAcc = acc
	return r
}

func meanStd(x []float64) (mean, std float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) < 2 {
		return mean, 0
	}
	for _, v := range x {
		std += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(std / float64(len(x)-1))
}

// rankLess orders results by mean validation loss, NaN and +Inf last, ties
// by trial index.
func rankLess(a, b Result) bool {
	ka, kb := a.MeanLoss, b.MeanLoss
	if math.IsNaN(ka) {
		ka = math.Inf(1)
	}
	if math.IsNaN(kb) {
		kb = math.Inf(1)
	}
	if ka != kb {
		return ka < kb
	}
	return a.Index < b.Index
}

func newTable(results []Result, folds int, obj linear.Objective) *Table {
	rs := slices.Clone(results)
	sort.SliceStable(rs, func(i, j int) bool { return rankLess(rs[i], rs[j]) })
	for i := range rs {
		rs[i].Rank = i + 1
	}
	return &Table{Results: rs, Folds: folds, Classifier: obj != linear.SquaredError}
}
