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
	"gonum.org/v1/plot/vg/draw"

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
	type key struct {
		impl    string
		threads int
	}
	series := map[key]plotter.XYs{}
	bytesPerElem := 0.0
	var access bench.Access
	for _, r := range rep.Results {
		if r.Kernel != kernel || r.DType != dtype {
			continue
		}
		k := key{r.Impl, r.Threads}
		series[k] = append(series[k], plotter.XY{X: float64(r.N), Y: r.ElemsSec})
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
	// The legend at the top left, each swatch left of its label: a label
	// rendered wider than measured (the viewer's font) runs into empty
	// space, not over the swatch of the next column.
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), -vg.Points(4)
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Legend.ThumbnailWidth = vg.Points(28)
	p.Legend.Padding = vg.Points(1.5)

	// Colour by implementation, line style by thread count (the rooflines
	// use their thread count's style too).
	keys := make([]key, 0, len(series))
	impls, threads := map[string]int{}, map[int]int{}
	for k := range series {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].threads != keys[b].threads {
			return keys[a].threads < keys[b].threads
		}
		return implOrder(keys[a].impl) < implOrder(keys[b].impl)
	})
	for _, k := range keys {
		if _, ok := impls[k.impl]; !ok {
			impls[k.impl] = len(impls)
		}
		if _, ok := threads[k.threads]; !ok {
			threads[k.threads] = len(threads)
		}
	}
	for _, k := range keys {
		xy := series[k]
		sort.Slice(xy, func(a, b int) bool { return xy[a].X < xy[b].X })
		l, pts, err := plotter.NewLinePoints(xy)
		if err != nil {
			return err
		}
		l.Color = plotColor(impls[k.impl])
		l.Dashes = dashes(threads[k.threads])
		l.Width = vg.Points(1.5)
		pts.Color = l.Color
		pts.Shape = markers(threads[k.threads])
		p.Add(l, pts)
		p.Legend.Add(fmt.Sprintf("%s, %d thread(s)", k.impl, k.threads), l, pts)
	}
	for _, r := range rep.Roofline {
		var xy plotter.XYs
		for _, pt := range series[keys[0]] {
			xy = append(xy, plotter.XY{X: pt.X, Y: r.Probe(access) / bytesPerElem})
		}
		sort.Slice(xy, func(a, b int) bool { return xy[a].X < xy[b].X })
		l, err := plotter.NewLine(xy)
		if err != nil {
			return err
		}
		l.Color = color.Gray{Y: 40}
		l.Width = vg.Points(2.5)
		l.Dashes = dashes(threads[r.Threads])
		if len(l.Dashes) == 0 {
			l.Dashes = []vg.Length{vg.Points(10), vg.Points(3)}
		}
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("roofline (%s probe), %d thread(s): %.1f GB/s", access, r.Threads, r.Probe(access)/1e9), l)
	}
	p.X.Min, p.X.Max = p.X.Min/1.4, p.X.Max*1.4 // room for the end points
	// Room above the data for the legend: a log axis, so a factor per line.
	p.Y.Max *= math.Pow(1.35, float64(len(keys)+len(rep.Roofline)))
	return p.Save(9*vg.Inch, 6*vg.Inch, path)
}

// implOrder orders the implementations in the legend: the reference first.
func implOrder(impl string) int {
	for i, s := range []string{"ref", "avx2", "avx512", "neon"} {
		if impl == s {
			return i
		}
	}
	return 99
}

// dashes is the line style of the i-th thread count: solid, dashed,
// dotted, dash-dotted, …
func dashes(i int) []vg.Length {
	styles := [][]vg.Length{nil, {vg.Points(6), vg.Points(3)}, {vg.Points(1.5), vg.Points(2.5)}, {vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)}}
	return styles[i%len(styles)]
}

// markers is the point shape of the i-th thread count.
func markers(i int) draw.GlyphDrawer {
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.CrossGlyph{}}
	return shapes[i%len(shapes)]
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
