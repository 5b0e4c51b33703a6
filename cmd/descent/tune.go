package main

// descent tune: grid or random search of optimizer hyper-parameters with
// k-fold cross-validation, pruned by a scheduler (successive halving, ASHA,
// Hyperband, median), and the learning-rate range test.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/models/mlp"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/train"
	"github.com/descent-go/descent/tune"
)

func init() {
	register(command{"tune", "search optimizers and learning rates by cross-validation; lr range test", runTune})
}

func parseFloats(s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q is not a number", f)
		}
		out = append(out, v)
	}
	return out, nil
}

func parseRange(s string, log bool) (tune.Range, error) {
	v, err := parseFloats(s)
	if err != nil {
		return tune.Range{}, err
	}
	if len(v) != 2 || v[0] > v[1] || (log && v[0] <= 0) {
		return tune.Range{}, fmt.Errorf("%q: want MIN,MAX with MIN ≤ MAX%s", s, map[bool]string{true: " and MIN > 0"}[log])
	}
	return tune.Range{Min: v[0], Max: v[1], Log: log}, nil
}

// searchFlag is a grid list or a random range of one hyper-parameter.
type searchFlag struct {
	*hyperKey
	s *string
}

// registerSearchFlags adds, for every hyper-parameter some optimizer may
// search (its descriptor's Tune) but the learning rate (--lrs,
// --lr-range), a grid list --<label> and, for numbers, a random range
// --<label>-range; and --lr-range.
func registerSearchFlags(fs *flag.FlagSet) (grids, ranges []searchFlag) {
	for _, k := range hyperKeys(true) {
		if k.Key != "lr" {
			grids = append(grids, searchFlag{k, fs.String(k.flag, "", fmt.Sprintf("grid: comma-separated values of %s (default: %s)", k.Doc, k.defaults()))})
		}
		if k.Bool {
			continue
		}
		scale, of := "uniform", ""
		if k.Tune.Log {
			scale = "log-uniform"
		}
		if k.Tune.Complement {
			of = "1 − "
		}
		ranges = append(ranges, searchFlag{k, fs.String(k.flag+"-range", "",
			fmt.Sprintf("random: MIN,MAX of %s%s (%s; default: each optimizer's)", of, k.Label(), scale))})
	}
	return grids, ranges
}

// parseValues reads a comma-separated list of values of p.
func parseValues(p optim.HyperParam, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		v, err := p.Parse(f)
		if err != nil || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%q is not a value of %s", f, p.Key)
		}
		out = append(out, v)
	}
	return out, nil
}

func runTune(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tune", stderr)
	var df dataFlags
	df.register(fs)
	optims := fs.String("optims", "sgd,momentum,adam", "comma-separated optimizers: "+optimNames())
	lrs := fs.String("lrs", "0.001,0.01,0.1,1,10", "grid: learning rates")
	grids, ranges := registerSearchFlags(fs)
	batches := fs.String("batch", "32", "comma-separated batch sizes")
	grid := fs.Bool("grid", true, "grid search over the lists (the default; --random replaces it)")
	random := fs.Int("random", 0, "random search: this many trials drawn from the --…-range intervals and each optimizer's default ones")
	folds := fs.Int("folds", 5, "k of k-fold cross-validation")
	epochs := fs.Int("epochs", 10, "epochs per fold (the budget of a trial)")
	budget := fs.Int("budget", 0, "the most epochs a trial trains, the last rung of --scheduler (default --epochs; the same flag)")
	schedName := fs.String("scheduler", "none", "prune trials that lag: "+strings.Join(tune.SchedulerNames(), ", ")+" (sh: successive halving; median: Optuna's median pruner)")
	eta := fs.Int("eta", 3, "reduction factor η of sh, asha and hyperband: a rung keeps the best 1/η (≥ 2)")
	grace := fs.Int("grace", 1, "grace period: epochs of the first rung (sh, asha, hyperband) or before the first check (median) (≥ 1)")
	compare := fs.Bool("compare", false, "run the same trials with no scheduler (the full search), sh, asha, hyperband and median, and compare best loss, epochs spent and wall time")
	asJSON := fs.Bool("json", false, "print the results as JSON (trials with their learning curves)")
	svg := fs.String("svg", "", "draw validation loss against epochs for every trial into this SVG file (pruned trials faded)")
	sched := fs.String("schedule", train.Constant, "learning-rate schedule of every trial: "+strings.Join(train.ScheduleKinds(), ", "))
	warmup := fs.Int("warmup", 0, "linear warm-up steps")
	parallel := fs.Int("parallel", 0, "trials run at once (default GOMAXPROCS); the results do not depend on it")
	seed := fs.Uint64("seed", 1, "seed of the folds, the shuffling and the random search")
	top := fs.Int("top", 0, "print only the best N trials (0: all)")
	lrFind := fs.Bool("lr-find", false, "also run the learning-rate range test for each optimizer of --optims")
	quiet := fs.Bool("quiet", false, "no progress on stderr")
	hidden := fs.Int("hidden", 128, "--model mlp: hidden ReLU units")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *random > 0 && flagSet(fs, "grid") && *grid {
		fmt.Fprintln(stderr, "descent tune: --grid and --random exclude each other")
		return errUsage
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"random", *random}, {"warmup", *warmup}, {"parallel", *parallel}, {"top", *top}, {"budget", *budget}} {
		if f.v < 0 {
			return fmt.Errorf("--%s %d: must be ≥ 0", f.name, f.v)
		}
	}
	if *eta < 2 {
		return fmt.Errorf("--eta %d: the reduction factor must be at least 2", *eta)
	}
	if *grace < 1 {
		return fmt.Errorf("--grace %d: the grace period must be at least 1 epoch", *grace)
	}
	if flagSet(fs, "budget") {
		if flagSet(fs, "epochs") && *epochs != *budget {
			return fmt.Errorf("--budget %d and --epochs %d: give one (they are the same)", *budget, *epochs)
		}
		*epochs = *budget
	}
	*schedName = strings.ToLower(*schedName)
	scheduler, err := tune.ParseScheduler(*schedName, *eta, *grace)
	if err != nil {
		return fmt.Errorf("--scheduler %q: want one of %s", *schedName, strings.Join(tune.SchedulerNames(), ", "))
	}
	if *compare && flagSet(fs, "scheduler") {
		return errors.New("--compare runs every scheduler: leave out --scheduler")
	}
	if *compare && (*asJSON || *svg != "" || *lrFind) {
		return errors.New("--compare prints its own table: leave out --json, --svg and --lr-find")
	}
	if *asJSON && *lrFind {
		return errors.New("--json and --lr-find exclude each other (the range test prints text)")
	}
	ds, model, err := df.load()
	if err != nil {
		return err
	}
	switch {
	case model == modelMLP && *hidden < 1:
		return fmt.Errorf("--hidden %d: want at least 1", *hidden)
	case model != modelMLP && flagSet(fs, "hidden"):
		return fmt.Errorf("--hidden applies to --model mlp, not %s", model)
	case model == modelMLP && *lrFind:
		return errors.New("--lr-find runs the linear models; with --model mlp search --lrs instead")
	}
	kinds := strings.Split(strings.ToLower(*optims), ",")
	for i, k := range kinds {
		kinds[i] = strings.TrimSpace(k)
		if _, ok := optim.Lookup(kinds[i]); !ok {
			return fmt.Errorf("--optims: %q is not one of %s", k, optimNames())
		}
	}
	bs, err := parseInts(*batches)
	if err != nil {
		return fmt.Errorf("--batch: %v", err)
	}
	if !contains(train.ScheduleKinds(), strings.ToLower(*sched)) {
		return fmt.Errorf("--schedule %q: want one of %s", *sched, strings.Join(train.ScheduleKinds(), ", "))
	}

	var trials []tune.Trial
	search := "grid"
	if *random > 0 {
		search = fmt.Sprintf("random (%d trials)", *random)
		r := tune.Ranges{Optimizers: kinds, BatchSize: bs, Hyper: map[string]tune.Range{}}
		for _, f := range ranges {
			if *f.s == "" {
				continue
			}
			if r.Hyper[f.Key], err = parseRange(*f.s, f.Tune.Log); err != nil {
				return fmt.Errorf("--%s-range: %v", f.flag, err)
			}
		}
		if trials, err = tune.Random(r, *random, *seed); err != nil {
			return err
		}
	} else {
		sp := tune.Space{Optimizers: kinds, BatchSize: bs, Hyper: map[string][]float64{}}
		if sp.LR, err = parseFloats(*lrs); err != nil {
			return fmt.Errorf("--lrs: %v", err)
		}
		for _, f := range grids {
			if sp.Hyper[f.Key], err = parseValues(f.HyperParam, *f.s); err != nil {
				return fmt.Errorf("--%s: %v", f.flag, err)
			}
		}
		trials = tune.Grid(sp)
	}

	cfg := tune.Config{
		Data:        ds,
		Folds:       *folds,
		Standardize: !df.noStandardize,
		Epochs:      *epochs,
		Schedule:    train.ScheduleSpec{Kind: strings.ToLower(*sched), Warmup: *warmup},
		Parallel:    *parallel,
		Seed:        *seed,
	}
	if model == modelMLP {
		c := mlp.Config{Features: ds.Cols, Hidden: *hidden, Classes: ds.Classes, Seed: *seed, L2: df.l2}
		if _, err := mlp.New(c); err != nil {
			return err
		}
		cfg.Net = func() train.Model { net, _ := mlp.New(c); return net }
	} else {
		cfg.Model = func() *linear.Model[float64] { return newModel(model, ds.Cols, ds.Classes, df.l2) }
	}
	if *folds < 2 || *epochs < 1 {
		return fmt.Errorf("--folds %d, --epochs %d: need at least 2 folds and 1 epoch", *folds, *epochs)
	}
	if len(trials) == 0 {
		return errors.New("the search space has no trials")
	}
	src := ds.Name
	if !df.noStandardize {
		src += ", standardized per fold"
	}
	head := func(w io.Writer, name string) {
		fmt.Fprintf(w, "data:   %s: %d rows, %d features; model %s\n", src, ds.Rows, ds.Cols, model)
		fmt.Fprintf(w, "search: %s, %d trials × %d folds × %d epochs, %s schedule, seed %d\n", search, len(trials), *folds, *epochs, cfg.Schedule.Kind, *seed)
		if name != "" {
			fmt.Fprintf(w, "pruned: %s\n", name)
		}
		fmt.Fprintln(w)
	}
	if *compare {
		head(stdout, "")
		return compareSchedulers(stdout, stderr, cfg, trials, *eta, *grace, *quiet)
	}
	cfg.Scheduler = scheduler
	name := ""
	if scheduler != nil {
		name = scheduler.String()
	}
	if !*quiet {
		watchProgress(&cfg, stderr, name)
	}
	if !*asJSON {
		head(stdout, name)
	}
	start := time.Now()
	tab, err := tune.Search(context.Background(), cfg, trials)
	if err != nil {
		return err
	}
	wall := time.Since(start)
	if !*quiet {
		fmt.Fprintf(stderr, "tune: %s\n", summary(tab, wall))
	}
	if *svg != "" {
		title := fmt.Sprintf("%s, %s: validation loss of %d trials", ds.Name, tab.Scheduler, len(tab.Results))
		if err := plotTune(*svg, title, tab); err != nil {
			return fmt.Errorf("--svg: %w", err)
		}
	}
	best, ok := tab.Best()
	if *top > 0 && *top < len(tab.Results) {
		tab.Results = tab.Results[:*top]
	}
	if *asJSON {
		if err := writeTuneJSON(stdout, tab, wall, tuneJSONHead{Data: ds.Name, Rows: ds.Rows, Features: ds.Cols, Model: model,
			Search: search, Folds: *folds, Seed: *seed, Schedule: cfg.Schedule.Kind}); err != nil {
			return err
		}
	} else {
		if _, err := tab.WriteTo(stdout); err != nil {
			return err
		}
		if tab.Pruning() {
			f, p, d := tab.Counts()
			fmt.Fprintf(stdout, "\nepochs: %d of %d trial-epochs (%.1f %%): %d trials finished, %d pruned, %d diverged\n",
				tab.EpochsSpent, len(trials)**epochs, 100*float64(tab.EpochsSpent)/float64(len(trials)**epochs), f, p, d)
		}
		if ok {
			fmt.Fprintf(stdout, "\nbest:   %v, batch %d: validation loss %.4f ± %.4f\n", best.Optim, best.BatchSize, best.MeanLoss, best.StdLoss)
		} else {
			fmt.Fprintln(stdout, "\nbest:   none: every trial diverged")
		}
	}
	if !ok {
		return errors.New("every trial diverged")
	}
	if *lrFind {
		return lrFindReport(stdout, ds, model, df, kinds, bs[0], *seed)
	}
	return nil
}

// lrFindReport runs the range test for each optimizer kind on the whole data
// set (standardized unless told not to) and prints the suggestions with a
// coarse view of the curve.
func lrFindReport(w io.Writer, ds *datasets.Dataset, model string, df dataFlags, kinds []string, batch int, seed uint64) error {
	if !df.noStandardize {
		ds.Standardize()
	}
	fmt.Fprintf(w, "\nlearning-rate range test: batch %d, 100 steps from 1e-06 to 10, stopped when the smoothed loss passes 4× its minimum\n", batch)
	fmt.Fprintln(w, "suggestion: the lr of steepest descent of the smoothed loss (before its minimum)")
	for _, k := range kinds {
		md := newModel(model, ds.Cols, ds.Classes, df.l2)
		r, err := tune.LRRangeTest(md, ds, tune.RangeTest{Optim: train.OptimSpec{Kind: k}, BatchSize: batch, Seed: seed})
		if err != nil {
			return fmt.Errorf("lr range test, %s: %w", k, err)
		}
		end := "ran all 100 steps"
		if r.Diverged {
			end = fmt.Sprintf("diverged after %d steps", len(r.LR))
		}
		fmt.Fprintf(w, "\n%s: suggested lr %.3g (minimum of the smoothed loss at %.3g; %s)\n", k, r.Suggested, r.MinLR, end)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "lr\tloss\tsmoothed\t")
		for i := 0; i < len(r.LR); i += 7 {
			fmt.Fprintf(tw, "%.3g\t%.4f\t%.4f\t\n", r.LR[i], r.Loss[i], r.Smoothed[i])
		}
		tw.Flush()
	}
	return nil
}
