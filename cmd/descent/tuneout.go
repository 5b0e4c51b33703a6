package main

// descent tune's outputs beyond the table: progress, the comparison of
// schedulers, --json and --svg.

import (
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/tune"
)

// watchProgress reports the search's progress on w: on a terminal one line
// redrawn after every change, otherwise a line at every tenth of the trials
// ended; with a scheduler, the trials finished, pruned, diverged, running
// and waiting at a rung, and the epochs spent.
func watchProgress(cfg *tune.Config, w io.Writer, scheduler string) {
	tty := isTerminal(w)
	var mu sync.Mutex
	var last tune.Status
	printed := 0 // tenths of the trials ended, last printed
	line := func(s tune.Status) string {
		ended := s.Pruned + s.Finished + s.Diverged
		out := fmt.Sprintf("tune: %d/%d trials", ended, s.Trials)
		if tty {
			const width = 20
			out = fmt.Sprintf("tune [%-*s] %d/%d trials", width, strings.Repeat("#", ended*width/s.Trials), ended, s.Trials)
		}
		if scheduler != "" {
			out += fmt.Sprintf(" (%d finished, %d pruned, %d diverged; %d running, %d waiting at a rung); %d/%d epochs",
				s.Finished, s.Pruned, s.Diverged, s.Running, s.Waiting, s.Epochs, s.Full)
		}
		return out
	}
	cfg.OnStatus = func(s tune.Status) {
		mu.Lock()
		defer mu.Unlock()
		if tty {
			fmt.Fprintf(w, "\r%-120s", line(s))
			if s.Pruned+s.Finished+s.Diverged == s.Trials {
				fmt.Fprintf(w, "\r%-120s\r", "")
			}
		}
		last = s
	}
	cfg.Progress = func(done, total int, r tune.Result) {
		mu.Lock()
		defer mu.Unlock()
		if ended := last.Pruned + last.Finished + last.Diverged; !tty && ended == done && ended*10/total > printed {
			printed = ended * 10 / total
			fmt.Fprintln(w, line(last))
		}
	}
}

// summary describes a finished search in one line.
func summary(tab *tune.Table, wall time.Duration) string {
	f, p, d := tab.Counts()
	full := len(tab.Results) * tab.Budget
	return fmt.Sprintf("%s: %d trials finished, %d pruned, %d diverged; %d of %d trial-epochs (%.1f %%) in %.2f s",
		tab.Scheduler, f, p, d, tab.EpochsSpent, full, 100*float64(tab.EpochsSpent)/float64(full), wall.Seconds())
}

// compareSchedulers runs the trials with no scheduler (every trial for the
// whole budget), then successive halving, ASHA, Hyperband and the median
// pruner, once each, and
// prints each one's best trial, its loss against the full search's best, the
// epochs spent and the wall time.
func compareSchedulers(stdout, stderr io.Writer, cfg tune.Config, trials []tune.Trial, eta, grace int, quiet bool) error {
	scheds := []tune.Scheduler{nil, tune.SuccessiveHalving{Eta: eta, Grace: grace}, tune.ASHA{Eta: eta, Grace: grace},
		tune.Hyperband{Eta: eta, Grace: grace}, tune.MedianPruner{Grace: grace}}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scheduler\tbest val loss\tvs full\tbest trial\tepochs\tof full\tfinished\tpruned\tdiverged\twall\t")
	var gridBest float64
	for _, s := range scheds {
		c := cfg
		c.Scheduler = s
		name := "none (full grid)"
		if s != nil {
			name = s.String()
		}
		if !quiet {
			watchProgress(&c, stderr, name)
		}
		start := time.Now()
		tab, err := tune.Search(context.Background(), c, trials)
		if err != nil {
			return err
		}
		wall := time.Since(start)
		if !quiet {
			fmt.Fprintf(stderr, "tune: %s\n", summary(tab, wall))
		}
		f, p, d := tab.Counts()
		full := len(trials) * c.Epochs
		best, ok := tab.Best()
		if !ok {
			fmt.Fprintf(tw, "%s\tnone\t\t\t%d\t%.1f %%\t%d\t%d\t%d\t%.2f s\t\n", name, tab.EpochsSpent, 100*float64(tab.EpochsSpent)/float64(full), f, p, d, wall.Seconds())
			continue
		}
		if s == nil {
			gridBest = best.MeanLoss
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%+.2f %%\t#%d %v\t%d\t%.1f %%\t%d\t%d\t%d\t%.2f s\t\n", name, best.MeanLoss, 100*(best.MeanLoss-gridBest)/gridBest,
			best.Index, best.Optim, tab.EpochsSpent, 100*float64(tab.EpochsSpent)/float64(full), f, p, d, wall.Seconds())
	}
	return tw.Flush()
}

// tuneJSONHead is what --json says about the search.
type tuneJSONHead struct {
	Data     string `json:"data"`
	Rows     int    `json:"rows"`
	Features int    `json:"features"`
	Model    string `json:"model"`
	Search   string `json:"search"`
	Folds    int    `json:"folds"`
	Seed     uint64 `json:"seed"`
	Schedule string `json:"schedule"`
}

type tuneJSON struct {
	tuneJSONHead
	Scheduler   string          `json:"scheduler"`
	Budget      int             `json:"budget"`
	EpochsSpent int             `json:"epochs_spent"`
	EpochsFull  int             `json:"epochs_full"`
	Finished    int             `json:"finished"`
	Pruned      int             `json:"pruned"`
	Diverged    int             `json:"diverged"`
	WallSeconds float64         `json:"wall_s"`
	Best        *int            `json:"best"` // the best trial's index; null when every trial diverged
	Trials      []tuneTrialJSON `json:"trials"`
}

type tuneTrialJSON struct {
	Rank      int                `json:"rank"`
	Index     int                `json:"index"`
	Optimizer string             `json:"optimizer"`
	Hyper     map[string]float64 `json:"hyper"`
	Batch     int                `json:"batch"`
	Status    string             `json:"status"` // finished, pruned, diverged
	Epochs    int                `json:"epochs"` // the rung reached
	Bracket   int                `json:"bracket"`
	ValLoss   *float64           `json:"val_loss"` // null once diverged
	ValStd    *float64           `json:"val_std"`
	ValAcc    *float64           `json:"val_acc,omitempty"`
	TrainLoss *float64           `json:"train_loss"`
	FoldLoss  []*float64         `json:"fold_loss"`
	Curve     []float64          `json:"curve"` // mean validation loss after each epoch
	Error     string             `json:"error,omitempty"`
}

// jnum is x, or nil (JSON null) when x is not finite.
func jnum(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func writeTuneJSON(w io.Writer, tab *tune.Table, wall time.Duration, head tuneJSONHead) error {
	f, p, d := tab.Counts()
	out := tuneJSON{tuneJSONHead: head, Scheduler: tab.Scheduler, Budget: tab.Budget, EpochsSpent: tab.EpochsSpent,
		EpochsFull: len(tab.Results) * tab.Budget, Finished: f, Pruned: p, Diverged: d, WallSeconds: wall.Seconds(),
		Trials: []tuneTrialJSON{}}
	if best, ok := tab.Best(); ok {
		out.Best = &best.Index
	}
	for _, r := range tab.Results {
		vals, err := r.Optim.Values()
		if err != nil {
			vals = optim.Values{"lr": r.Optim.LR}
		}
		shown := map[string]float64{}
		for k, v := range vals {
			shown[k] = v
		}
		status := "finished"
		switch {
		case r.Diverged():
			status = "diverged"
		case r.Pruned:
			status = "pruned"
		}
		t := tuneTrialJSON{Rank: r.Rank, Index: r.Index, Optimizer: strings.ToLower(r.Optim.Kind), Hyper: shown, Batch: r.BatchSize,
			Status: status, Epochs: r.Epochs, Bracket: r.Bracket, ValLoss: jnum(r.MeanLoss), ValStd: jnum(r.StdLoss),
			TrainLoss: jnum(r.MeanTrain), Curve: r.Curve}
		if tab.Classifier {
			t.ValAcc = jnum(r.MeanAcc)
		}
		if t.Optimizer == "" {
			t.Optimizer = "sgd"
		}
		if t.Curve == nil {
			t.Curve = []float64{}
		}
		for _, v := range r.FoldLoss {
			t.FoldLoss = append(t.FoldLoss, jnum(v))
		}
		if r.Err != nil {
			t.Error = r.Err.Error()
		}
		out.Trials = append(out.Trials, t)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// plotTune draws every trial's mean validation loss against epochs: the
// trials that reached the budget in colour (the best one thick), pruned
// ones faded grey, diverged ones faded red, each with a dot where it
// stopped. The loss axis is logarithmic when every loss is positive, and
// spans from the lowest loss to a thousand times it (curves above are cut
// off), so a learning rate that blows up does not flatten the others.
func plotTune(path, title string, tab *tune.Table) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = fmt.Sprintf("mean validation loss over %d folds", tab.Folds)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range tab.Results {
		for _, v := range r.Curve {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if math.IsInf(lo, 0) {
		return fmt.Errorf("no trial completed an epoch")
	}
	if lo > 0 {
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
		hi = math.Min(hi, lo*1e3)
	} else if hi > lo+1e3*math.Max(math.Abs(lo), 1) {
		hi = lo + 1e3*math.Max(math.Abs(lo), 1)
	}
	p.X.Min, p.X.Max = 1, float64(max(tab.Budget, 2))
	p.Y.Min, p.Y.Max = lo, hi*1.05
	faded := color.NRGBA{R: 140, G: 140, B: 140, A: 90}
	red := color.NRGBA{R: 214, G: 39, B: 40, A: 110}
	best, hasBest := tab.Best()
	// Faded trials first, so the finished ones are drawn over them.
	var legendPruned, legendDiverged bool
	colour := 0
	for pass := 0; pass < 2; pass++ {
		for _, r := range tab.Results {
			if len(r.Curve) == 0 {
				continue
			}
			finished := !r.Pruned && !r.Diverged()
			if finished != (pass == 1) {
				continue
			}
			xy := make(plotter.XYs, len(r.Curve))
			for e, v := range r.Curve {
				xy[e] = plotter.XY{X: float64(e + 1), Y: math.Min(v, hi*1.05)}
			}
			var c color.Color
			width := vg.Points(1)
			switch {
			case r.Diverged():
				c = red
			case r.Pruned:
				c = faded
			default:
				c = plotColor(colour)
				colour++
			}
			if hasBest && r.Index == best.Index {
				width = vg.Points(2.5)
			}
			end, err := plotter.NewScatter(xy[len(xy)-1:])
			if err != nil {
				return err
			}
			end.GlyphStyle.Color, end.GlyphStyle.Radius, end.GlyphStyle.Shape = c, vg.Points(2), draw.CircleGlyph{}
			p.Add(end)
			var l plot.Thumbnailer = end
			if len(xy) > 1 {
				line, err := plotter.NewLine(xy)
				if err != nil {
					return err
				}
				line.Color, line.Width = c, width
				p.Add(line)
				l = line
			}
			{
				switch {
				case finished && tab.Pruning():
					label := fmt.Sprintf("#%d %v", r.Index, r.Optim)
					if hasBest && r.Index == best.Index {
						label += " (best)"
					}
					p.Legend.Add(label, l)
				case finished && hasBest && r.Index == best.Index:
					p.Legend.Add(fmt.Sprintf("best: #%d %v", r.Index, r.Optim), l)
				case r.Diverged() && !legendDiverged:
					legendDiverged = true
					p.Legend.Add("diverged", l)
				case r.Pruned && !legendPruned:
					legendPruned = true
					p.Legend.Add("pruned", l)
				}
			}
		}
	}
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	p.Legend.ThumbnailWidth = vg.Points(20)
	return p.Save(9*vg.Inch, 5.5*vg.Inch, path)
}
