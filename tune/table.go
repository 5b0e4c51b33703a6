package tune

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/train"
)

// Table is a search's results, best first.
type Table struct {
	Results    []Result // ranked: Results[0] is the best
	Folds      int
	Classifier bool // the model classifies: the table shows accuracy
	// Scheduler names the search's scheduler with its settings ("none",
	// "asha(η=3, grace=1)" …).
	Scheduler string
	// Budget is the most epochs a trial trained (Config.Epochs).
	Budget int
	// EpochsSpent is the number of trial-epochs trained (an epoch of a
	// trial covers all its folds; a segment that diverged counts the epochs
	// its first fold trained); a search without pruning spends
	// len(Results) × Budget.
	EpochsSpent int
}

// Pruning reports whether the search had a scheduler that may prune.
func (t *Table) Pruning() bool { return t.Scheduler != "" && t.Scheduler != "none" }

// Counts returns the number of trials that reached the budget, were pruned
// and diverged.
func (t *Table) Counts() (finished, pruned, diverged int) {
	for _, r := range t.Results {
		switch r.group() {
		case 0:
			finished++
		case 1:
			pruned++
		default:
			if r.Diverged() {
				diverged++
			}
		}
	}
	return
}

// Best returns the best trial's result: the trial with the lowest mean
// validation loss among those that reached the budget; ok is false when the
// table is empty or no trial reached the budget (every trial diverged).
func (t *Table) Best() (r Result, ok bool) {
	if len(t.Results) == 0 || t.Results[0].group() != 0 {
		return Result{}, false
	}
	return t.Results[0], true
}

// Find returns the result of the trial with the given index.
func (t *Table) Find(index int) (Result, bool) {
	for _, r := range t.Results {
		if r.Index == index {
			return r, true
		}
	}
	return Result{}, false
}

func num(x float64) string {
	if x == 0 {
		return "0"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// WriteTo writes the table as aligned text: one row per trial with its rank,
// optimizer, hyper-parameters ("-" where the optimizer has none), the mean
// validation loss over the folds ± its standard deviation, the mean
// validation accuracy (classifiers) and the mean final training loss; with
// a scheduler that prunes, also the epochs each trial reached ("9 pruned"
// for a trial stopped at the rung of 9 epochs), its losses being those at
// that epoch. The
// hyper-parameter columns are the learning rate, those the trials' kinds
// vary by default or are given (in the registry's order of first
// appearance), and the weight decay.
func (t *Table) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	acc := ""
	if t.Classifier {
		acc = "val acc\t"
	}
	cols := t.columns()
	labels := make([]string, len(cols))
	for i, c := range cols {
		labels[i] = c.label
	}
	ep := ""
	if t.Pruning() {
		ep = "epochs\t"
	}
	fmt.Fprintf(tw, "rank\toptimizer\t%s\tbatch\t%sval loss (%d folds)\t± std\t%strain loss\t\n", strings.Join(labels, "\t"), ep, t.Folds, acc)
	for _, r := range t.Results {
		o := r.Optim
		kind := strings.ToLower(o.Kind)
		if kind == "" {
			kind = train.SGD
		}
		shown := shownKeys(o)
		vals, err := o.Values()
		fmt.Fprintf(tw, "%d\t%s\t", r.Rank, kind)
		for _, c := range cols {
			v, ok := vals[c.key]
			switch {
			case err != nil && c.key == "lr":
				fmt.Fprintf(tw, "%s\t", num(o.LR))
			case err != nil || !ok || !shown[c.key]:
				fmt.Fprintf(tw, "-\t")
			case c.p.Bool:
				fmt.Fprintf(tw, "%s\t", c.p.Format(v))
			default:
				fmt.Fprintf(tw, "%s\t", num(v))
			}
		}
		fmt.Fprintf(tw, "%d\t", r.BatchSize)
		if t.Pruning() {
			switch {
			case r.Pruned:
				fmt.Fprintf(tw, "%d pruned\t", r.Epochs)
			default:
				fmt.Fprintf(tw, "%d\t", r.Epochs)
			}
		}
		switch {
		case r.Diverged():
			fmt.Fprintf(tw, "diverged\t\t")
			if t.Classifier {
				fmt.Fprintf(tw, "\t")
			}
			fmt.Fprintf(tw, "\t%v\n", r.Err)
			continue
		case math.IsNaN(r.MeanLoss):
			fmt.Fprintf(tw, "not run\t\t\n")
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t", loss(r.MeanLoss), loss(r.StdLoss))
		if t.Classifier {
			fmt.Fprintf(tw, "%.4f\t", r.MeanAcc)
		}
		fmt.Fprintf(tw, "%s\t\n", loss(r.MeanTrain))
	}
	tw.Flush()
	n, err := w.Write(buf.Bytes())
	return int64(n), err
}

type column struct {
	key, label string
	p          optim.HyperParam
}

// shownKeys returns the hyper-parameters of a trial's row: those its kind
// varies by default (optim.HyperParam.Varied) and those it gives (in Hyper,
// or named fields its kind has).
func shownKeys(o train.OptimSpec) map[string]bool {
	shown := map[string]bool{"lr": true, "weight_decay": true}
	a, err := o.Algorithm()
	if err != nil {
		return shown
	}
	given, _ := o.Given()
	for _, p := range a.Hyper {
		if _, ok := given[p.Key]; !p.Fixed && (p.Varied() || ok) {
			shown[p.Key] = true
		}
	}
	return shown
}

// columns returns the table's hyper-parameter columns: lr, the keys shown
// for any row in the order of the registry's algorithms and their
// hyper-parameters, and the weight decay.
func (t *Table) columns() []column {
	want := map[string]bool{}
	for _, r := range t.Results {
		for k := range shownKeys(r.Optim) {
			want[k] = true
		}
	}
	cols := []column{{key: "lr", label: "lr"}}
	seen := map[string]bool{"lr": true, "weight_decay": true}
	for _, a := range optim.Algorithms() {
		for _, p := range a.Hyper {
			if want[p.Key] && !seen[p.Key] {
				seen[p.Key] = true
				cols = append(cols, column{key: p.Key, label: p.Label(), p: p})
			}
		}
	}
	return append(cols, column{key: "weight_decay", label: "wd"})
}

// String returns the table as WriteTo writes it.
func (t *Table) String() string {
	var b bytes.Buffer
	t.WriteTo(&b)
	return b.String()
}

// loss formats a loss with 4 decimals, or 4 significant digits when large.
func loss(x float64) string {
	if math.Abs(x) >= 1e5 {
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}
