package main

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/descent-go/descent/bench"
)

// plotBench draws elements/s against n for one kernel and dtype ("Adam/f32"),
// a line per implementation and thread count, with each thread count's
// roofline — the probe of the kernel's access pattern (benchRow.Probe) —
// converted to elements/s for that kernel's bytes per element.
func plotBench(path, which string, rep benchReport) error {
	kernel, dtype, ok := strings.Cut(which, "/")
	if !ok {
		return fmt.Errorf("--plot %q: want kernel/dtype, e.g. Adam/f32", which)
	}
	series := map[string]plotter.XYs{}
	bytesPerElem := 0.0
	var access bench.Access
	for _, r := range rep.Results {
		if r.Kernel != kernel || r.DType != dtype {
			continue
		}
		key := fmt.Sprintf("%s, %d thread(s)", r.Impl, r.Threads)
		series[key] = append(series[key], plotter.XY{X: float64(r.N), Y: r.ElemsSec})
		bytesPerElem = r.BytesSec / r.ElemsSec
		access = r.Probe
	}
	if len(series) == 0 {
		return fmt.Errorf("--plot %q: no such kernel and dtype in this run", which)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("descent %s %s on %s", kernel, dtype, rep.CPU)
	p.X.Label.Text = "elements per tensor"
	p.Y.Label.Text = "elements per second"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = sizeTicks{}, rateTicks{}
	p.Legend.Top, p.Legend.Left = true, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(12), -vg.Points(12)
	p.Legend.TextStyle.Font.Size = vg.Points(9)

	keys := make([]string, 0, len(series))
	for k := range series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		xy := series[k]
		sort.Slice(xy, func(a, b int) bool { return xy[a].X < xy[b].X })
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		l.Color = plotColor(i)
		pts.Color = l.Color
		p.Add(l, pts)
		p.Legend.Add(k, l, pts)
	}
	for _, r := range rep.Roofline {
		var xy plotter.XYs
		for _, k := range keys {
			for _, pt := range series[k] {
				xy = append(xy, plotter.XY{X: pt.X, Y: r.Probe(access) / bytesPerElem})
			}
			break
		}
		sort.Slice(xy, func(a, b int) bool { return xy[a].X < xy[b].X })
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		l.Color = color.Gray{Y: 90}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("roofline (%s probe), %d thread(s): %.1f GB/s", access, r.Threads, r.Probe(access)/1e9), l)
	}
	p.Legend.ThumbnailWidth = vg.Points(20)
	p.X.Min, p.X.Max = p.X.Min/1.4, p.X.Max*1.4 // room for the end labels
	p.Y.Max *= 1.6                              // room for the legend
	return p.Save(8*vg.Inch, 5*vg.Inch, path)
}

// rateTicks labels a log axis of rates at 1, 2 and 5 times each power of
// ten, with SI prefixes.
type rateTicks struct{}

func (rateTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Floor(math.Log10(min)); e <= math.Ceil(math.Log10(max)); e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v >= min && v <= max {
				ts = append(ts, plot.Tick{Value: v, Label: strings.TrimSpace(si(v))})
			}
		}
	}
	return ts
}

// sizeTicks labels the tensor sizes as powers of two.
type sizeTicks struct{}

func (sizeTicks) Ticks(min, max float64) []plot.Tick {
	var ts []plot.Tick
	for e := math.Ceil(math.Log2(min)); e <= math.Floor(math.Log2(max)); e += 2 {
		v := math.Exp2(e)
		label := fmt.Sprintf("%.0f Ki", v/1024)
		if v >= 1<<20 {
			label = fmt.Sprintf("%.0f Mi", v/(1<<20))
		}
		ts = append(ts, plot.Tick{Value: v, Label: label})
	}
	return ts
}

func plotColor(i int) color.Color {
	palette := []color.Color{
		color.RGBA{R: 31, G: 119, B: 180, A: 255},
		color.RGBA{R: 214, G: 39, B: 40, A: 255},
		color.RGBA{R: 44, G: 160, B: 44, A: 255},
		color.RGBA{R: 148, G: 103, B: 189, A: 255},
		color.RGBA{R: 255, G: 127, B: 14, A: 255},
	}
	return palette[i%len(palette)]
}
