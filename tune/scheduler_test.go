package tune_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/train"
	"github.com/descent-go/descent/tune"
)

// schedSearch runs a search on standardized wine, 3 folds, budget 9 epochs.
func schedSearch(t testing.TB, s tune.Scheduler, par int, trials []tune.Trial) *tune.Table {
	t.Helper()
	data, mk := load(t, "wine")
	tab, err := tune.Search(context.Background(), tune.Config{Model: mk, Data: data, Folds: 3, Epochs: 9,
		Standardize: true, Seed: 5, Parallel: par, Scheduler: s, Schedule: train.ScheduleSpec{Kind: train.Cosine}}, trials)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func schedTrials() []tune.Trial {
	return tune.Grid(tune.Space{Optimizers: []string{"sgd", "momentum", "adam"},
		LR: []float64{1e-4, 1e-3, 1e-2, 1e-1, 1}, BatchSize: []int{16}})
}

// rungsOf are the rungs of grace 1, η 3, budget 9.
var rungsOf = []int{1, 3, 9}

// fullCurves runs every trial for the whole budget and returns each trial's
// curve, by index.
func fullCurves(t testing.TB, trials []tune.Trial) [][]float64 {
	tab := schedSearch(t, nil, 2, trials)
	out := make([][]float64, len(trials))
	for _, r := range tab.Results {
		if r.Diverged() || len(r.Curve) != 9 || r.Epochs != 9 || r.Pruned {
			t.Fatalf("unpruned search: %v: %d epochs, curve %v, err %v", r.Trial, r.Epochs, r.Curve, r.Err)
		}
		out[r.Index] = r.Curve
	}
	return out
}

// expectASHA replays ASHA one trial at a time in the given order on the
// full runs' curves (a promoted trial continues exactly as the full run)
// and returns the epochs each trial reaches.
func expectASHA(curves [][]float64, order []int, eta int) []int {
	reach := make([]int, len(curves))
	seen := make([][]float64, len(rungsOf))
	for _, i := range order {
		c := curves[i]
		for k, r := range rungsOf {
			v := c[r-1]
			seen[k] = append(seen[k], v)
			reach[i] = r
			if k == len(rungsOf)-1 {
				break
			}
			ahead := 0
			for _, w := range seen[k][:len(seen[k])-1] {
				if w <= v {
					ahead++
				}
			}
			if ahead >= max(1, len(seen[k])/eta) {
				break
			}
		}
	}
	return reach
}

// expectSH replays synchronous successive halving over the trials in, with
// rungs starting at rungsOf[first].
func expectSH(curves [][]float64, in []int, first, eta int, reach []int) {
	alive := slices.Clone(in)
	for k := first; k < len(rungsOf); k++ {
		r := rungsOf[k]
		for _, i := range alive {
			reach[i] = r
		}
		sort.SliceStable(alive, func(a, b int) bool {
			va, vb := curves[alive[a]][r-1], curves[alive[b]][r-1]
			if va != vb {
				return va < vb
			}
			return alive[a] < alive[b]
		})
		alive = alive[:max(1, len(alive)/eta)]
	}
}

// orderOf returns the trials in the order the scheduler considered them,
// checking that it is a permutation.
func orderOf(t *testing.T, tab *tune.Table) []int {
	order := make([]int, len(tab.Results))
	for i := range order {
		order[i] = -1
	}
	for _, r := range tab.Results {
		if r.Order < 0 || r.Order >= len(order) || order[r.Order] >= 0 {
			t.Fatalf("order %d of trial %d", r.Order, r.Index)
		}
		order[r.Order] = r.Index
	}
	return order
}

func reached(tab *tune.Table) []int {
	out := make([]int, len(tab.Results))
	for _, r := range tab.Results {
		out[r.Index] = r.Epochs
	}
	return out
}

// Each scheduler's decisions are those of an independent replay of its rule
// on the curves of the unpruned search; a trial that reached the budget has
// exactly the unpruned trial's losses, a pruned one a prefix of its curve
// (it continued from where it stopped, never restarted); the epochs spent
// are the epochs the trials reached; the table is the same for 1, 2 and 8
// trials at a time.
func TestSchedulersReplay(t *testing.T) {
	trials := schedTrials()
	curves := fullCurves(t, trials)
	full := schedSearch(t, nil, 1, trials)

	n := len(trials)
	for _, c := range []struct {
		s      tune.Scheduler
		expect func(order []int) []int
	}{
		{tune.ASHA{Eta: 3, Grace: 1}, func(order []int) []int { return expectASHA(curves, order, 3) }},
		{tune.SuccessiveHalving{}, func([]int) []int {
			reach := make([]int, n)
			all := make([]int, n)
			for i := range all {
				all[i] = i
			}
			expectSH(curves, all, 0, 3, reach)
			return reach
		}},
		{tune.Hyperband{Eta: 3}, nil}, // replayed below from the brackets it reports
		{tune.MedianPruner{Startup: 3}, func(order []int) []int {
			reach := make([]int, n)
			for p, i := range order {
				c := curves[i]
				reach[i] = 9
				for e := 1; e < 9; e++ {
					var others []float64
					for _, j := range order[:p] {
						if reach[j] >= e {
							others = append(others, curves[j][e-1])
						}
					}
					if len(others) < 3 {
						continue
					}
					sort.Float64s(others)
					med := others[len(others)/2]
					if len(others)%2 == 0 {
						med = (others[len(others)/2-1] + med) / 2
					}
					if slices.Min(c[:e]) > med {
						reach[i] = e
						break
					}
				}
			}
			return reach
		}},
	} {
		t.Run(c.s.String(), func(t *testing.T) {
			tab := schedSearch(t, c.s, 2, trials)
			t.Log("\n" + tab.String())
			var want []int
			order := orderOf(t, tab)
			if c.expect != nil {
				want = c.expect(order)
			} else { // Hyperband: SH within each bracket, from the bracket's rung
				want = make([]int, n)
				brackets := map[int][]int{}
				for _, r := range tab.Results {
					brackets[r.Bracket] = append(brackets[r.Bracket], r.Index)
				}
				// bracket sizes ∝ ⌈3/(3−b)⌉·3^(2−b) = 9, 6, 3 of 18: 7.5, 5, 2.5 of 15
				if len(brackets[0]) != 8 || len(brackets[1]) != 5 || len(brackets[2]) != 2 {
					t.Errorf("bracket sizes %d %d %d, want 8 5 2", len(brackets[0]), len(brackets[1]), len(brackets[2]))
				}
				for b, in := range brackets {
					sort.Ints(in)
					expectSH(curves, in, b, 3, want)
				}
			}
			if got := reached(tab); !reflect.DeepEqual(got, want) {
				t.Errorf("epochs reached\n got %v\nwant %v", got, want)
			}
			sum, pruned := 0, 0
			for _, r := range tab.Results {
				sum += r.Epochs
				u, _ := full.Find(r.Index)
				if !reflect.DeepEqual(r.Curve, u.Curve[:r.Epochs]) {
					t.Errorf("%v: curve %v is not a prefix of %v", r.Trial, r.Curve, u.Curve)
				}
				if r.Pruned != (r.Epochs < 9) {
					t.Errorf("%v: pruned %v at %d epochs", r.Trial, r.Pruned, r.Epochs)
				}
				if r.Pruned {
					pruned++
				} else if !reflect.DeepEqual(r.FoldLoss, u.FoldLoss) || r.MeanTrain != u.MeanTrain || r.MeanAcc != u.MeanAcc {
					t.Errorf("%v: %v, unpruned %v", r.Trial, r.FoldLoss, u.FoldLoss)
				}
				if r.MeanLoss != r.Curve[r.Epochs-1] {
					t.Errorf("%v: mean loss %v, curve ends at %v", r.Trial, r.MeanLoss, r.Curve[r.Epochs-1])
				}
			}
			if pruned == 0 {
				t.Error("nothing pruned")
			}
			if tab.EpochsSpent != sum || sum >= n*9 {
				t.Errorf("epochs spent %d, reached %d, budget %d", tab.EpochsSpent, sum, n*9)
			}
			// Ranked: reached the budget first, then pruned by epochs.
			for i := 1; i < len(tab.Results); i++ {
				a, b := tab.Results[i-1], tab.Results[i]
				if (a.Pruned && !b.Pruned) || (a.Pruned && b.Pruned && a.Epochs < b.Epochs) {
					t.Errorf("rank %d (%d epochs, pruned %v) before rank %d (%d, %v)", a.Rank, a.Epochs, a.Pruned, b.Rank, b.Epochs, b.Pruned)
				}
			}
			if best, ok := tab.Best(); !ok || best.Pruned {
				t.Errorf("best %+v", best)
			}
			for _, par := range []int{1, 8} {
				if again := schedSearch(t, c.s, par, trials); !reflect.DeepEqual(tab, again) {
					t.Errorf("parallel %d gives another table:\n%s", par, again)
				}
			}
		})
	}
}

// A trial that diverges (sgd at lr 1e4 on diabetes, at epoch 4) before the
// first rung is marked diverged, counted at its rung
// with +Inf, ranked last, and its curve keeps only finite losses; the
// search still finishes the others.
func TestSchedulerDiverged(t *testing.T) {
	data, mk := load(t, "diabetes")
	trials := tune.Grid(tune.Space{Optimizers: []string{"sgd"}, LR: []float64{0.01, 1e4, 0.03, 0.1}})
	for _, s := range []tune.Scheduler{tune.ASHA{Eta: 2, Grace: 5}, tune.Hyperband{Eta: 2, Grace: 5}, tune.SuccessiveHalving{Eta: 2, Grace: 5}, tune.MedianPruner{Startup: 1, Grace: 5}} {
		tab, err := tune.Search(context.Background(), tune.Config{Model: mk, Data: data, Folds: 3, Epochs: 10, Seed: 1, Scheduler: s, Standardize: true}, trials)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v\n%s", s, tab)
		last := tab.Results[len(tab.Results)-1]
		var nf *train.NonFiniteError
		if last.Index != 1 || !last.Diverged() || !errors.As(last.Err, &nf) || !math.IsInf(last.MeanLoss, 1) {
			t.Errorf("%v: last %+v", s, last)
		}
		// Folds train epoch by epoch: the curve has every epoch all folds
		// completed before one diverged (at epoch 4 or later).
		if len(last.Curve) < 3 || len(last.Curve) != last.Epochs {
			t.Errorf("%v: diverged after %d epochs, curve %v", s, last.Epochs, last.Curve)
		}
		for _, v := range last.Curve {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Errorf("%v: curve %v", s, last.Curve)
			}
		}
		if _, ok := tab.Best(); !ok {
			t.Errorf("%v: no best", s)
		}
		if _, _, d := tab.Counts(); d != 1 {
			t.Errorf("%v: %d diverged", s, d)
		}
	}
}

func TestSchedulerErrors(t *testing.T) {
	data, mk := load(t, "iris")
	good := tune.Grid(tune.Space{LR: []float64{0.1}})
	for _, c := range []struct {
		s      tune.Scheduler
		epochs int
		trials []tune.Trial
		want   string
	}{
		{tune.ASHA{Eta: 1}, 9, good, "η = 1, need at least 2"},
		{tune.SuccessiveHalving{Eta: -3}, 9, good, "η = -3"},
		{tune.Hyperband{Grace: -1}, 9, good, "grace period -1"},
		{tune.ASHA{Grace: 10}, 9, good, "budget of 9 epochs is smaller than the grace period of 10"},
		{tune.MedianPruner{Grace: 12}, 9, good, "smaller than the grace period of 12"},
		{tune.MedianPruner{Startup: -1}, 9, good, "startup -1"},
		{tune.ASHA{}, -2, good, "-2 epochs"},
		{tune.ASHA{}, 9, nil, "no trials"},
	} {
		_, err := tune.Search(context.Background(), tune.Config{Model: mk, Data: data, Epochs: c.epochs, Scheduler: c.s}, c.trials)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v, %d epochs, %d trials: %v; want %q", c.s, c.epochs, len(c.trials), err, c.want)
		}
	}
	if _, err := tune.ParseScheduler("bohb", 3, 1); err == nil {
		t.Error("bohb accepted")
	}
	for _, name := range tune.SchedulerNames() {
		if _, err := tune.ParseScheduler(name, 3, 1); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Cancelling a search mid-way returns the context's error and leaves no
// goroutine behind, paused trials included; a finished search leaves none
// either.
func TestSchedulerCancelNoLeak(t *testing.T) {
	data, mk := load(t, "digits")
	trials := tune.Grid(tune.Space{Optimizers: []string{"sgd", "adam"}, LR: []float64{1e-3, 1e-2, 1e-1}, BatchSize: []int{16}})
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var last tune.Status
	_, err := tune.Search(ctx, tune.Config{Model: mk, Data: data, Folds: 3, Epochs: 27, Seed: 1, Parallel: 4,
		Scheduler: tune.ASHA{}, OnStatus: func(s tune.Status) {
			last = s
			if s.Epochs >= 8 {
				cancel()
			}
		}}, trials)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled search: %v", err)
	}
	if last.Epochs >= last.Full/2 {
		t.Errorf("kept training after the cancel: %+v", last)
	}
	for _, s := range []tune.Scheduler{tune.ASHA{}, tune.MedianPruner{}} {
		if _, err := tune.Search(context.Background(), tune.Config{Model: mk, Data: data, Folds: 2, Epochs: 3, Seed: 1, Parallel: 3,
			Scheduler: s}, trials); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

// Status counts add up at every call, and the last call has every trial
// ended.
func TestSchedulerStatus(t *testing.T) {
	data, mk := load(t, "wine")
	trials := schedTrials()
	calls, ends := 0, 0
	var last tune.Status
	tab, err := tune.Search(context.Background(), tune.Config{Model: mk, Data: data, Folds: 3, Epochs: 9, Seed: 1, Parallel: 3,
		Scheduler: tune.ASHA{}, Standardize: true,
		OnStatus: func(s tune.Status) {
			calls++
			if s.Queued+s.Running+s.Waiting+s.Pruned+s.Finished+s.Diverged != s.Trials || s.Running > 3 || s.Full != 9*len(trials) {
				t.Errorf("status %+v", s)
			}
			last = s
		},
		Progress: func(done, total int, r tune.Result) { ends++ }}, trials)
	if err != nil {
		t.Fatal(err)
	}
	f, p, d := tab.Counts()
	if last.Finished != f || last.Pruned != p || last.Diverged != d || last.Epochs != tab.EpochsSpent || ends != len(trials) || calls < len(trials) {
		t.Errorf("last status %+v, table %d/%d/%d, %d epochs; %d ends, %d calls", last, f, p, d, tab.EpochsSpent, ends, calls)
	}
}

func ExampleASHA() {
	d := datasets.MustLoad("wine")
	model := func() *linear.Model[float64] {
		return linear.NewSoftmax[float64](d.Cols, d.Classes, linear.Options{Intercept: true})
	}
	// 3 optimizers × 5 learning rates; rungs at 1, 3 and 9 epochs.
	trials := tune.Grid(tune.Space{Optimizers: []string{"sgd", "momentum", "adam"},
		LR: []float64{1e-4, 1e-3, 1e-2, 1e-1, 1}, BatchSize: []int{16}})
	tab, err := tune.Search(context.Background(), tune.Config{
		Model: model, Data: d, Folds: 3, Epochs: 9, Standardize: true, Seed: 1,
		Scheduler: tune.ASHA{Eta: 3, Grace: 1},
	}, trials)
	if err != nil {
		panic(err)
	}
	finished, pruned, _ := tab.Counts()
	best, _ := tab.Best()
	fmt.Println(tab.Scheduler)
	fmt.Printf("%d trials pruned, %d trained for 9 epochs\n", pruned, finished)
	fmt.Printf("epochs spent: under a third of the grid's %d: %v\n", len(trials)*9, tab.EpochsSpent*3 < len(trials)*9)
	fmt.Printf("best: %s, accuracy above 0.95: %v\n", best.Optim.Kind, best.MeanAcc > 0.95)
	// Output:
	// asha(η=3, grace=1)
	// 12 trials pruned, 3 trained for 9 epochs
	// epochs spent: under a third of the grid's 135: true
	// best: adam, accuracy above 0.95: true
}

// Random trials of every optimizer of optim's registry, drawn from their
// descriptors' ranges, feed ASHA and Hyperband.
func TestSchedulerEveryAlgorithm(t *testing.T) {
	data, mk := load(t, "iris")
	var trials []tune.Trial
	for _, k := range train.Kinds() { // three of each
		ts, err := tune.Random(tune.Ranges{Optimizers: []string{k}, BatchSize: []int{16, 64}}, 3, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			tr.Index = len(trials)
			trials = append(trials, tr)
		}
	}
	for _, s := range []tune.Scheduler{tune.ASHA{Eta: 3}, tune.Hyperband{Eta: 3}} {
		tab, err := tune.Search(context.Background(), tune.Config{Model: mk, Data: data, Folds: 3, Epochs: 9, Standardize: true,
			Seed: 2, Scheduler: s}, trials)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		for _, r := range tab.Results {
			kinds[r.Optim.Kind] = true
		}
		f, p, _ := tab.Counts()
		if len(kinds) != len(train.Kinds()) || f == 0 || p == 0 || tab.EpochsSpent >= len(trials)*9 {
			t.Errorf("%v: kinds %v, %d finished, %d pruned, %d epochs\n%s", s, kinds, f, p, tab.EpochsSpent, tab)
		}
	}
}
