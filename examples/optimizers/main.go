// Command optimizers compares AdamW, Muon (+AdamW for the output layer),
// Schedule-Free AdamW and LAMB on the digits data set with the MLP of
// package mlp (64→128→10), at equal epochs, and writes the validation
// loss curves into an SVG (docs/optimizers-digits.svg) and the table of
// results to standard output (Markdown).
//
// Every optimizer runs at a constant learning rate (Schedule-Free needs no
// schedule; the others get none, so that the comparison is of the
// updates), over a small grid of learning rates each; the best rate by
// final validation loss is drawn. One seed for the split, the weights and
// the batches: the numbers are one run's, not averages.
//
//	go run ./examples/optimizers -svg docs/optimizers-digits.svg
package main

import (
	"flag"
	"fmt"
	"image/color"
	"log"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/models/mlp"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/train"
)

// run is one optimizer at one learning rate.
type run struct {
	label string
	lr    float64
	// groups returns the optimizer's groups over the MLP's hidden and
	// output layers.
	groups func(hidden, output optim.Param, lr float64) (string, []optim.Group)
}

func adamw(name string) func(h, o optim.Param, lr float64) (string, []optim.Group) {
	return func(h, o optim.Param, lr float64) (string, []optim.Group) {
		return name, []optim.Group{{Params: []optim.Param{h, o}, Hyper: optim.Values{"lr": lr}}}
	}
}

// muonAdamW puts the hidden layer's weights on Muon and the output layer
// on AdamW (lr 1e-3, weight decay 0.01), as Muon is used.
func muonAdamW(h, o optim.Param, lr float64) (string, []optim.Group) {
	return "muon", []optim.Group{
		{Params: []optim.Param{h}, Hyper: optim.Values{"lr": lr}},
		{Params: []optim.Param{o}, Hyper: optim.Values{"adamw": 1, "lr": 1e-3, "weight_decay": 0.01}},
	}
}

// Result is one run's outcome.
type Result struct {
	Label       string
	LR          float64
	ValLoss     []float64 // per epoch
	TrainLoss   []float64
	ValAccuracy float64
}

// Compare trains every configuration for epochs epochs and returns the
// results in order.
func Compare(epochs int, lrs map[string][]float64) ([]Result, error) {
	ds, err := datasets.Load("digits")
	if err != nil {
		return nil, err
	}
	tr, val := ds.Split(0.2, 1)
	mean, scale := tr.Standardize()
	val.StandardizeWith(mean, scale)
	configs := []struct {
		label string
		mk    func(h, o optim.Param, lr float64) (string, []optim.Group)
	}{
		{"AdamW", adamw("adamw")},
		{"Muon+AdamW", muonAdamW},
		{"Schedule-Free AdamW", adamw("schedulefree")},
		{"LAMB", adamw("lamb")},
	}
	var out []Result
	for _, c := range configs {
		for _, lr := range lrs[c.label] {
			net, err := mlp.New(mlp.Config{Features: tr.Cols, Hidden: 128, Classes: tr.Classes, Seed: 1})
			if err != nil {
				return nil, err
			}
			ps := net.Params()
			name, gs := c.mk(ps[0], ps[1], lr)
			o, err := optim.New(name, gs, optim.WithWorkers(1))
			if err != nil {
				return nil, err
			}
			t := train.NewModel(net, train.Config{Epochs: epochs, BatchSize: 32, Seed: 1})
			t.Opt = o
			h, err := t.Fit(tr, val)
			if err != nil {
				return nil, fmt.Errorf("%s lr %v: %w", c.label, lr, err)
			}
			r := Result{Label: c.label, LR: lr, ValAccuracy: net.Metrics(val).Accuracy}
			for _, e := range h.Epochs {
				r.ValLoss = append(r.ValLoss, e.ValLoss)
				r.TrainLoss = append(r.TrainLoss, e.TrainLoss)
			}
			o.Close()
			out = append(out, r)
		}
	}
	return out, nil
}

// Grid is the learning rates tried per optimizer.
var Grid = map[string][]float64{
	"AdamW":               {3e-4, 1e-3, 3e-3},
	"Muon+AdamW":          {3e-3, 1e-2, 3e-2},
	"Schedule-Free AdamW": {1e-3, 2.5e-3, 1e-2},
	"LAMB":                {1e-3, 3e-3, 1e-2, 3e-2},
}

// Best returns, per label in order of first appearance, the result with
// the lowest final validation loss.
func Best(rs []Result) []Result {
	var order []string
	best := map[string]Result{}
	for _, r := range rs {
		b, ok := best[r.Label]
		if !ok {
			order = append(order, r.Label)
		}
		if !ok || r.ValLoss[len(r.ValLoss)-1] < b.ValLoss[len(b.ValLoss)-1] {
			best[r.Label] = r
		}
	}
	out := make([]Result, len(order))
	for i, l := range order {
		out[i] = best[l]
	}
	return out
}

// Plot draws the validation loss per epoch of rs into an SVG at path.
func Plot(path string, rs []Result, epochs int) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("digits MLP 64→128→10, batch 32, %d epochs (best lr of each)", epochs)
	p.X.Label.Text = "epoch"
	p.X.Min = 1
	p.Y.Label.Text = "validation cross-entropy"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	// Top left, moved right into the empty upper middle, each swatch left
	// of its label (a label rendered wider than measured runs into empty
	// space, not over its swatch).
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(240), -vg.Points(24)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.ThumbnailWidth = vg.Points(28)
	colors := []color.Color{color.RGBA{0x1f, 0x77, 0xb4, 255}, color.RGBA{0xd6, 0x27, 0x28, 255}, color.RGBA{0x2c, 0xa0, 0x2c, 255}, color.RGBA{0x94, 0x67, 0xbd, 255}}
	for i, r := range rs {
		xy := make(plotter.XYs, len(r.ValLoss))
		for e, l := range r.ValLoss {
			xy[e] = plotter.XY{X: float64(e + 1), Y: l}
		}
		line, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		line.Color = colors[i%len(colors)]
		line.Width = vg.Points(1.5)
		line.Dashes = [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(2), vg.Points(2)}, {vg.Points(8), vg.Points(2), vg.Points(2), vg.Points(2)}}[i%4]
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("%s (lr %g): acc %.4f", r.Label, r.LR, r.ValAccuracy), line)
	}
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}

// Table writes the results as a Markdown table.
func Table(rs []Result) string {
	s := "| optimizer | lr | final train loss | final validation loss | best validation loss (epoch) | validation accuracy |\n|---|---|---|---|---|---|\n"
	for _, r := range rs {
		bi := 0
		for i, l := range r.ValLoss {
			if l < r.ValLoss[bi] {
				bi = i
			}
		}
		s += fmt.Sprintf("| %s | %g | %.4f | %.4f | %.4f (%d) | %.4f |\n", r.Label, r.LR, r.TrainLoss[len(r.TrainLoss)-1],
			r.ValLoss[len(r.ValLoss)-1], r.ValLoss[bi], bi+1, r.ValAccuracy)
	}
	return s
}

func main() {
	svg := flag.String("svg", "", "write the validation loss curves into this SVG file")
	epochs := flag.Int("epochs", 30, "epochs per run")
	flag.Parse()
	rs, err := Compare(*epochs, Grid)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(Table(rs))
	best := Best(rs)
	fmt.Println()
	fmt.Print(Table(best))
	if *svg != "" {
		if err := Plot(*svg, best, *epochs); err != nil {
			log.Fatal(err)
		}
	}
	if math.IsNaN(best[0].ValAccuracy) {
		os.Exit(1)
	}
}
