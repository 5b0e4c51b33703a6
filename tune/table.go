package tune

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"text/tabwriter"

	"github.com/descent-go/descent/train"
)

// Table is a search's results, best first.
type Table struct {
	Results    []Result // ranked: Results[0] is the best
	Folds      int
	Classifier bool // the model classifies: the table shows accuracy
}

// Best returns the best trial's result; ok is false when the table is empty
// or every trial diverged.
func (t *Table) Best() (r Result, ok bool) {
	if len(t.Results) == 0 || t.Results[0].Diverged() || math.IsNaN(t.Results[0].MeanLoss) {
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
// validation accuracy (classifiers) and the mean final training loss.
func (t *Table) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	acc := ""
	if t.Classifier {
		acc = "val acc\t"
	}
	fmt.Fprintf(tw, "rank\toptimizer\tlr\tbeta1\tbeta2\tmomentum\twd\tbatch\tval loss (%d folds)\t± std\t%strain loss\t\n", t.Folds, acc)
	for _, r := range t.Results {
		o := r.Optim
		b1, b2, mu := "-", "-", "-"
		switch o.Kind {
		case train.Adam, train.AdamW, train.AMSGrad:
			b1, b2 = num(or1(o.Beta1, 0.9)), num(or1(o.Beta2, 0.999))
		case train.Momentum, train.Nesterov:
			mu = num(or1(o.Momentum, 0.9))
		}
		kind := o.Kind
		if kind == "" {
			kind = train.SGD
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t", r.Rank, kind, num(o.LR), b1, b2, mu, num(o.WeightDecay), r.BatchSize)
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

// String returns the table as WriteTo writes it.
func (t *Table) String() string {
	var b bytes.Buffer
	t.WriteTo(&b)
	return b.String()
}

func or1(x, d float64) float64 {
	if x == 0 {
		return d
	}
	return x
}

// loss formats a loss with 4 decimals, or 4 significant digits when large.
func loss(x float64) string {
	if math.Abs(x) >= 1e5 {
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}
