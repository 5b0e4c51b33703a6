package tune

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/train"
)

// Config configures a cross-validated search.
type Config struct {
	// Model returns a new linear model; Search calls it once per worker
	// (models are not safe for concurrent use).
	Model func() *linear.Model[float64]
	// Net, instead of Model, returns a new model of any kind (a network of
	// one's own, models/mlp …) with its own parameters in their initial
	// state; Search calls it once per fold of every trial it starts. Set
	// Model or Net, not both.
	Net func() train.Model
	// Data is the whole data set; it is cut into Folds folds (it is not
	// modified).
	Data *datasets.Dataset
	// Folds is k of k-fold cross-validation (≥ 2); 0 means 5.
	Folds int
	// Standardize centres and scales the features of each fold's training
	// part, and its validation part with the same statistics, so no
	// validation row leaks into the scaling.
	Standardize bool
	// Epochs per fold (≥ 1); 0 means 10. It is the budget: the most
	// epochs a trial trains, the last rung of a Scheduler.
	Epochs int
	// Schedule applies to every trial (built for Epochs × batches per epoch
	// steps, also when a Scheduler stops the trial earlier, so that a
	// promoted trial continues exactly as an unpruned one would).
	Schedule train.ScheduleSpec
	// Scheduler, if set, prunes trials whose validation loss lags
	// (SuccessiveHalving, ASHA, Hyperband, MedianPruner); nil trains every
	// trial for Epochs epochs.
	Scheduler Scheduler
	// Parallel is the number of trials trained at once; ≤ 0 means
	// runtime.GOMAXPROCS(0). Results do not depend on it.
	Parallel int
	// Seed fixes the folds (the same for every trial, so trials are compared
	// on the same splits) and each trial's shuffling, seeded from (Seed,
	// trial index, fold).
	Seed uint64
	// Progress, if set, is called after each trial ends (finished, pruned
	// or diverged), one call at a time, with the number of trials ended and
	// the trial's result (in completion order, which varies with
	// scheduling; the results do not).
	Progress func(done, total int, r Result)
	// OnStatus, if set, is called after every change of a trial's state
	// (started, reported, paused, pruned, finished), one call at a time,
	// with the counts of trials in each state.
	OnStatus func(Status)
}

// Status is a snapshot of a search's progress.
type Status struct {
	Trials   int // in the search
	Queued   int // not started yet
	Running  int // training now
	Waiting  int // paused at a rung, awaiting its scheduler's decision
	Pruned   int // stopped by the scheduler
	Finished int // trained for the whole budget
	Diverged int // stopped by a non-finite loss
	Epochs   int // trial-epochs trained so far (an epoch of a trial covers all its folds)
	Full     int // trial-epochs of the search without pruning: Trials × budget
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
	// Epochs is the number of epochs the trial trained on every fold: the
	// budget, or the rung at which it was pruned, or for a diverged trial
	// the epochs all its folds completed. FoldLoss, MeanLoss … are at that
	// epoch (+Inf for a diverged trial).
	Epochs int
	// Pruned reports that a scheduler stopped the trial before the budget.
	Pruned bool
	// Curve is the mean validation loss over the folds after each of the
	// trial's epochs: Curve[e-1] after epoch e.
	Curve []float64
	// Bracket is the trial's Hyperband bracket (0 prunes most), 0 for the
	// other schedulers.
	Bracket int
	// Order is the trial's position in the order in which ASHA and the
	// median pruner consider trials (a shuffle seeded from Config.Seed);
	// the trial's index for the other schedulers.
	Order int
}

// Diverged reports whether a fold's loss became non-finite.
func (r Result) Diverged() bool { return r.Err != nil }

// Search trains the trials on every fold and returns the table of results
// ranked by mean validation loss. Without a Scheduler every trial trains
// Config.Epochs epochs; with one, trials report their mean validation loss
// over the folds at the scheduler's rungs and the scheduler stops those
// that lag: their folds stop at once, their memory is released. A promoted
// trial continues from where it stopped (its trainers and optimizer state
// stay in memory between rungs), so its results at any epoch are those of
// an unpruned run. A trial whose loss becomes non-finite in some fold is
// marked diverged, with +Inf loss, and ranked after all others; its
// remaining folds are skipped. Trials that reached the budget rank first,
// pruned ones after them by the epochs they reached (most first), each group
// by loss. Search returns an error for a bad configuration (no trials, a
// scheduler's bad settings), a trial whose optimizer cannot be built, or a
// cancelled ctx.
func Search(ctx context.Context, cfg Config, trials []Trial) (*Table, error) {
	if (cfg.Model == nil) == (cfg.Net == nil) {
		return nil, errors.New("tune: set exactly one of Config.Model and Config.Net")
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
	if len(trials) == 0 {
		return nil, errors.New("tune: no trials to search")
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
	var err error
	classifier := false // the table shows accuracy
	if cfg.Model != nil {
		probe := cfg.Model()
		err = train.CheckData(probe, cfg.Data)
		classifier = probe.Objective() != linear.SquaredError
	} else if net := cfg.Net(); net == nil {
		err = errors.New("Config.Net returned nil")
	} else {
		err = net.CheckData(cfg.Data)
		_, eval := net.(train.Evaluator)
		classifier = eval && cfg.Data.Classes > 0
	}
	if err != nil {
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
	sch := cfg.Scheduler
	if sch == nil {
		sch = noScheduler{}
	}
	pl, err := sch.plan(len(trials), cfg.Epochs, cfg.Seed)
	if err != nil {
		return nil, err
	}
	folds := makeFolds(cfg.Data, cfg.Folds, cfg.Seed, cfg.Standardize)
	results, spent, err := runSearch(ctx, cfg, folds, trials, pl)
	if err != nil {
		return nil, err
	}
	tab := newTable(results, cfg.Folds, classifier)
	tab.Scheduler = sch.String()
	tab.Budget = cfg.Epochs
	tab.EpochsSpent = spent
	return tab, nil
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

// group ranks the trials that reached the budget first, pruned ones next,
// diverged and cancelled ones last.
func (r Result) group() int {
	switch {
	case r.Diverged() || math.IsNaN(r.MeanLoss):
		return 2
	case r.Pruned:
		return 1
	}
	return 0
}

// rankLess orders results: those that reached the budget, then pruned ones
// by epochs reached (most first), then diverged or cancelled ones; within
// each by mean validation loss, NaN and +Inf last, ties by trial index.
func rankLess(a, b Result) bool {
	if ga, gb := a.group(), b.group(); ga != gb {
		return ga < gb
	}
	if a.Epochs != b.Epochs && a.Pruned {
		return a.Epochs > b.Epochs
	}
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

func newTable(results []Result, folds int, classifier bool) *Table {
	rs := slices.Clone(results)
	sort.SliceStable(rs, func(i, j int) bool { return rankLess(rs[i], rs[j]) })
	for i := range rs {
		rs[i].Rank = i + 1
	}
	return &Table{Results: rs, Folds: folds, Classifier: classifier}
}
