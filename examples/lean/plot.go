package lean

import (
	"fmt"
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Plot draws every run's validation loss against the epoch into an SVG
// file: one colour per storage, solid lines for the MLP and dashed ones for
// the softmax regression.
func Plot(path string, runs []*Run) error {
	p := plot.New()
	p.Title.Text = "digits, Adam: validation loss by optimizer storage"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "validation cross-entropy"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0.05, Label: "0.05"}, {Value: 0.1, Label: "0.1"},
		{Value: 0.2, Label: "0.2"}, {Value: 0.5, Label: "0.5"}, {Value: 1, Label: "1"}})
	var xt []plot.Tick
	for e := 0; e <= 40; e += 5 {
		xt = append(xt, plot.Tick{Value: float64(e), Label: fmt.Sprint(e)})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.X.Max = 41
	// Top left, right of the curves' start, each swatch left of its label
	// (a label rendered wider than measured runs into empty space).
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(200), -vg.Points(10)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.ThumbnailWidth = vg.Points(28)
	p.Legend.Padding = vg.Points(2)
	colors := map[string]color.Color{
		"fp32":        color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
		"8bit":        color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
		"bf16-master": color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	}
	for _, r := range runs {
		xy := make(plotter.XYs, len(r.Loss))
		for i, l := range r.Loss {
			xy[i] = plotter.XY{X: float64(i + 1), Y: l}
		}
		line, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		line.Color = colors[r.Storage]
		line.Width = vg.Points(1.2)
		if r.Storage == "fp32" { // wide, under the others: visible where they coincide
			line.Width = vg.Points(4)
			line.Color = color.RGBA{R: 0x9e, G: 0xc5, B: 0xe8, A: 0xff}
		}
		if r.Model == "softmax" {
			line.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		}
		p.Add(line)
		label := fmt.Sprintf("%s %s (%.1f%%)", r.Model, r.Storage, 100*r.Final())
		if r.Storage == "fp32" {
			label += ", under the others"
		}
		p.Legend.Add(label, line)
	}
	return p.Save(7.5*vg.Inch, 4.5*vg.Inch, path)
}
