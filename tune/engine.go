package tune

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/train"
)

// The engine: one coordinator (the goroutine that called Search) owns every
// trial's state and takes every decision; Parallel workers train segments
// of trials (all folds of one trial from epoch a to epoch b) and send the
// results back. A trial's trainers travel with its task, so exactly one
// goroutine touches them at a time. Decisions are taken by the plan's rule
// from the trials' reported values alone (plan.decide), in a loop that
// runs after every result until nothing more can be decided, so the order
// in which results arrive changes when a decision is taken, never what it
// is.

type runState uint8

const (
	queued runState = iota
	running
	waiting // reported a checkpoint, awaiting the decision
	pruned
	finished
	diverged
)

func (s runState) ended() bool { return s >= pruned }

type trialRun struct {
	t        Trial
	state    runState
	done     int       // epochs trained on every fold
	vals     []float64 // value at each checkpoint reported (+Inf: diverged towards it)
	curve    []float64 // mean validation loss after each epoch
	trainers []*train.Trainer
	foldLoss []float64 // at done
	acc      float64   // mean validation accuracy at done
	trainL   float64   // mean training loss at done
	err      error
}

type task struct {
	i      int
	to     int
	run    *trialRun
	result segResult
}

// segResult is what a worker found training a segment.
type segResult struct {
	curve    []float64 // mean validation loss after each epoch of the segment trained on all folds
	foldLoss []float64
	acc      float64
	trainL   float64
	trained  int   // trial-epochs spent: the segment's, or for a diverged one up to the epoch it diverged in
	err      error // non-finite loss (or another training error): the trial diverged
	ctxErr   error
}

func runSearch(ctx context.Context, cfg Config, folds []fold, trials []Trial, pl *plan) ([]Result, int, error) {
	n := len(trials)
	runs := make([]*trialRun, n)
	for i, t := range trials {
		runs[i] = &trialRun{t: t}
	}
	par := cfg.Parallel
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	par = min(par, n)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	tasks := make(chan *task)
	results := make(chan *task)
	var wg sync.WaitGroup
	for w := 0; w < par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var md *linear.Model[float64] // this worker's, for its workspace
			if cfg.Model != nil {
				md = cfg.Model()
			}
			for tk := range tasks {
				tk.result = trainSegment(ctx, md, cfg, folds, tk.run, tk.to)
				results <- tk
			}
		}()
	}

	// ready holds the trials to dispatch: trials already started (promoted)
	// before new ones, each kind by index, so paused trials do not pile up.
	var ready []int
	nextNew := 0
	busy, ended, spent := 0, 0, 0
	var justEnded []int
	status := func() {
		if cfg.OnStatus == nil {
			return
		}
		s := Status{Trials: n, Epochs: spent, Full: n * cfg.Epochs}
		for _, r := range runs {
			switch r.state {
			case queued:
				s.Queued++
			case running:
				s.Running++
			case waiting:
				s.Waiting++
			case pruned:
				s.Pruned++
			case finished:
				s.Finished++
			case diverged:
				s.Diverged++
			}
		}
		cfg.OnStatus(s)
	}
	end := func(i int, st runState) {
		r := runs[i]
		r.state = st
		for _, tr := range r.trainers {
			if tr.Opt != nil {
				tr.Opt.Close()
			}
		}
		r.trainers = nil
		justEnded = append(justEnded, i)
	}
	// report calls OnStatus, then Progress for the trials that ended since
	// the last call.
	report := func() {
		status()
		for _, i := range justEnded {
			ended++
			if cfg.Progress != nil {
				cfg.Progress(ended, n, runs[i].result(cfg.Folds))
			}
		}
		justEnded = justEnded[:0]
	}
	// decideAll takes every decision that the results so far allow.
	decideAll := func() {
		for changed := true; changed; {
			changed = false
			cache := map[[2]int]*rungRank{}
			for i, r := range runs {
				if r.state != waiting {
					continue
				}
				k := len(r.vals) - 1
				if k == len(pl.checkpoints[i])-1 {
					end(i, finished)
					changed = true
					continue
				}
				ok, promote := pl.decide(runs, i, k, cache)
				if !ok {
					continue
				}
				changed = true
				if promote {
					r.state = queued
					ready = append(ready, i)
				} else {
					end(i, pruned)
				}
			}
		}
	}
	pick := func() (int, bool) {
		best := -1
		for j, i := range ready {
			if best < 0 || pl.pos[i] < pl.pos[ready[best]] {
				best = j
			}
		}
		if best >= 0 {
			i := ready[best]
			ready = append(ready[:best], ready[best+1:]...)
			return i, true
		}
		if nextNew < n {
			nextNew++
			return pl.order[nextNew-1], true
		}
		return 0, false
	}

	status()
	var pending *task
	var stalled error
	for ended < n && ctx.Err() == nil {
		if pending == nil {
			if i, ok := pick(); ok {
				r := runs[i]
				pending = &task{i: i, run: r, to: pl.checkpoints[i][len(r.vals)]}
			}
		}
		var send chan *task
		if pending != nil {
			send = tasks
		} else if busy == 0 {
			// Nothing to run and nothing running, yet trials wait: a
			// decision that can never be taken. The rules rule this out;
			// fail rather than hang if one ever did.
			stalled = fmt.Errorf("tune: internal error: %d trials wait for decisions that cannot be taken", n-ended)
			break
		}
		select {
		case send <- pending:
			pending.run.state = running
			pending = nil
			busy++
			status()
		case tk := <-results:
			busy--
			r, res := tk.run, tk.result
			if res.ctxErr != nil {
				continue
			}
			i := tk.i
			spent += res.trained
			r.curve = append(r.curve, res.curve...)
			if res.err != nil {
				r.err = res.err
				r.done = len(r.curve)
				r.vals = append(r.vals, math.Inf(1))
				end(i, diverged)
			} else {
				r.done = tk.to
				r.foldLoss, r.acc, r.trainL = res.foldLoss, res.acc, res.trainL
				r.vals = append(r.vals, r.curve[len(r.curve)-1])
				r.state = waiting
			}
			decideAll()
			report()
		case <-ctx.Done():
		}
	}
	close(tasks)
	go func() { wg.Wait(); close(results) }()
	for range results { // drain: workers stop at their next epoch once ctx is cancelled
		busy--
	}
	if stalled != nil {
		return nil, 0, stalled
	}
	if err := ctx.Err(); err != nil && ended < n {
		return nil, 0, err
	}
	out := make([]Result, n)
	for i, r := range runs {
		out[i] = r.result(cfg.Folds)
		out[i].Bracket = pl.group[i]
		out[i].Order = pl.pos[i]
	}
	return out, spent, nil
}

// rungRank is successive halving's view of one rung of one bracket: whether
// every trial of the bracket has reached it or stopped below it, and if so
// the rank of each trial that reached it (0 the best) and how many go on.
type rungRank struct {
	ok   bool
	rank map[int]int
	keep int
}

// decide returns whether trial i's decision at its checkpoint k can be
// taken from the results so far, and if so whether it is promoted. cache
// holds successive halving's rungs, computed once per pass over the trials
// (the results do not change within a pass).
func (pl *plan) decide(runs []*trialRun, i, k int, cache map[[2]int]*rungRank) (ok, promote bool) {
	// resolved: trial j has reported checkpoint k or ended before it.
	resolved := func(j int) bool { return len(runs[j].vals) > k || runs[j].state.ended() }
	reached := func(j int) bool { return len(runs[j].vals) > k }
	// before: j is ranked ahead of i at checkpoint k.
	before := func(j, i int) bool {
		vj, vi := runs[j].vals[k], runs[i].vals[k]
		return vj < vi || (vj == vi && pl.pos[j] < pl.pos[i])
	}
	switch pl.rule {
	case ruleNone:
		return true, true
	case ruleSH:
		key := [2]int{pl.group[i], k}
		rr := cache[key]
		if rr == nil {
			rr = &rungRank{ok: true}
			var peers []int
			for j := range runs {
				if pl.group[j] != pl.group[i] {
					continue
				}
				if !resolved(j) {
					rr.ok = false
					break
				}
				if reached(j) {
					peers = append(peers, j)
				}
			}
			if rr.ok {
				slices.SortFunc(peers, func(a, b int) int {
					switch {
					case before(a, b):
						return -1
					case before(b, a):
						return 1
					}
					return 0
				})
				rr.rank = make(map[int]int, len(peers))
				for r, j := range peers {
					rr.rank[j] = r
				}
				rr.keep = max(1, len(peers)/pl.eta)
			}
			cache[key] = rr
		}
		if !rr.ok {
			return false, false
		}
		return true, rr.rank[i] < rr.keep
	case ruleASHA:
		n, ahead := 0, 0 // trials at the rung up to i in the order of arrival, i included; those ranked ahead of i
		for j := range runs {
			if pl.pos[j] > pl.pos[i] {
				continue
			}
			if !resolved(j) {
				return false, false
			}
			if reached(j) {
				n++
				if j != i && before(j, i) {
					ahead++
				}
			}
		}
		return true, ahead < max(1, n/pl.eta)
	case ruleMedian:
		var others []float64
		for _, j := range pl.order[:pl.pos[i]] {
			if !resolved(j) {
				return false, false
			}
			if reached(j) && !math.IsInf(runs[j].vals[k], 0) {
				others = append(others, runs[j].vals[k])
			}
		}
		if len(others) < pl.startup {
			return true, true
		}
		best := math.Inf(1)
		for _, v := range runs[i].curve {
			best = min(best, v)
		}
		return true, !(best > median(others))
	}
	panic(fmt.Sprintf("tune: unknown rule %d", pl.rule))
}

func median(x []float64) float64 {
	s := slices.Clone(x)
	slices.Sort(s) // finite values: the order depends on them alone
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// result returns the trial's Result as it stands.
func (r *trialRun) result(k int) Result {
	res := Result{Trial: r.t, MeanAcc: math.NaN(), Epochs: r.done, Pruned: r.state == pruned, Curve: r.curve}
	switch {
	case r.err != nil:
		res.Err = r.err
		res.FoldLoss = make([]float64, k)
		for f := range res.FoldLoss {
			res.FoldLoss[f] = math.Inf(1)
		}
		res.MeanLoss, res.StdLoss, res.MeanTrain = math.Inf(1), math.NaN(), math.NaN()
	case r.foldLoss == nil:
		res.MeanLoss, res.StdLoss, res.MeanTrain = math.NaN(), math.NaN(), math.NaN()
	default:
		res.FoldLoss = r.foldLoss
		res.MeanLoss, res.StdLoss = meanStd(r.foldLoss)
		res.MeanAcc, res.MeanTrain = r.acc, r.trainL
	}
	return res
}

// trainSegment trains every fold of run from epoch run.done to epoch to,
// building the fold's trainers on the first segment (their schedules span
// the whole budget, cfg.Epochs), and records the mean validation loss over
// the folds after each epoch. It trains epoch by epoch, every fold in turn
// (each fold resumes where it stopped, as train.Config.StartEpoch allows,
// so the result is that of training each fold straight through): a fold
// whose loss becomes non-finite stops the trial at once, and the curve keeps
// every epoch all folds completed.
func trainSegment(ctx context.Context, md *linear.Model[float64], cfg Config, folds []fold, run *trialRun, to int) segResult {
	t := run.t
	from := run.done
	k := len(folds)
	var res segResult
	if run.trainers == nil {
		run.trainers = make([]*train.Trainer, k)
		for f, fd := range folds {
			tc := train.Config{Epochs: cfg.Epochs, BatchSize: t.BatchSize,
				Seed: train.DeriveSeed(cfg.Seed, uint64(t.Index), uint64(f))}
			var tr *train.Trainer
			if md != nil {
				tr = train.New(md, tc)
			} else {
				tr = train.NewModel(cfg.Net(), tc)
			}
			run.trainers[f] = tr
			sched, err := cfg.Schedule.New(cfg.Epochs * tr.BatchesPerEpoch(fd.tr.Rows))
			if err == nil {
				spec := t.Optim
				spec.Workers = 1
				err = tr.Build(spec, sched)
			}
			if err != nil {
				res.err = fmt.Errorf("fold %d: %w", f+1, err)
				return res
			}
		}
	}
	vals := make([]float64, k)
	var val *datasets.Dataset
	var tr *train.Trainer
	var v float64 // the validation loss after the epoch
	check := []func(train.EpochStats) error{func(st train.EpochStats) error {
		v = tr.Net.Loss(val)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return &train.NonFiniteError{Epoch: st.Epoch, Loss: v}
		}
		return nil
	}}
	for e := from + 1; e <= to; e++ {
		if err := ctx.Err(); err != nil {
			res.ctxErr = err
			return res
		}
		res.trained++
		for f, fd := range folds {
			tr, val = run.trainers[f], fd.val
			if md != nil {
				tr.Model = md
			}
			tr.StartEpoch, tr.Epochs = e-1, e
			tr.Callbacks = check
			if _, err := tr.Fit(fd.tr, nil); err != nil {
				res.err = fmt.Errorf("fold %d: %w", f+1, err)
				return res
			}
			vals[f] = v
		}
		mean, _ := meanStd(vals)
		res.curve = append(res.curve, mean)
	}
	var acc, trainL float64
	res.foldLoss = make([]float64, k)
	for f, fd := range folds {
		tr := run.trainers[f]
		if l, ok := tr.Net.(*train.Linear); ok && md != nil {
			l.Model = md // this worker's
		}
		m := train.EvaluateModel(tr.Net, fd.val)
		res.foldLoss[f] = m.Loss
		acc += m.Accuracy / float64(k)
		trainL += tr.Net.Loss(fd.tr) / float64(k)
	}
	res.acc, res.trainL = acc, trainL
	return res
}
