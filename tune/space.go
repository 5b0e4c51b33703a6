package tune

import (
	"fmt"
	"math"
	"strings"

	"github.com/descent-go/descent/train"
)

// Trial is one point of a search: an optimizer with its hyper-parameters and
// a batch size. Index is its position in the trial list; with the search's
// seed it fixes the trial's shuffling in every fold.
type Trial struct {
	Index     int
	Optim     train.OptimSpec
	BatchSize int
}

// String describes the trial.
func (t Trial) String() string {
	return fmt.Sprintf("#%d %v batch=%d", t.Index, t.Optim, t.BatchSize)
}

// Space is a grid: every combination of the values that apply to each
// optimizer kind is a trial. Empty lists take one default value.
//
//	Optimizers   kinds of train.Kinds(); default adam
//	LR           default 1e-3, 1e-2, 1e-1
//	Beta1, Beta2 adam, adamw, amsgrad; default 0.9 and 0.999
//	Momentum     momentum, nesterov; default 0.9
//	WeightDecay  every kind; default 0
//	BatchSize    every kind; default 32
type Space struct {
	Optimizers  []string
	LR          []float64
	Beta1       []float64
	Beta2       []float64
	Momentum    []float64
	WeightDecay []float64
	BatchSize   []int
}

func or[T any](v []T, def ...T) []T {
	if len(v) == 0 {
		return def
	}
	return v
}

// Grid returns the trials of the grid, numbered from 0, in a fixed order:
// optimizers in the order given, then batch size, weight decay, the
// kind's own parameters and the learning rate, the last varying fastest.
// Parameters that do not apply to a kind (betas for SGD, momentum for Adam)
// are not crossed with it, so no two trials are the same.
func Grid(s Space) []Trial {
	var out []Trial
	add := func(o train.OptimSpec, b int) {
		out = append(out, Trial{Index: len(out), Optim: o, BatchSize: b})
	}
	for _, kind := range or(s.Optimizers, train.Adam) {
		kind = strings.ToLower(kind)
		for _, b := range or(s.BatchSize, 32) {
			for _, wd := range or(s.WeightDecay, 0) {
				o := train.OptimSpec{Kind: kind, WeightDecay: wd}
				switch kind {
				case train.Momentum, train.Nesterov:
					for _, mu := range or(s.Momentum, 0.9) {
						for _, lr := range or(s.LR, 1e-3, 1e-2, 1e-1) {
							o.Momentum, o.LR = mu, lr
							add(o, b)
						}
					}
				case train.Adam, train.AdamW, train.AMSGrad:
					for _, b1 := range or(s.Beta1, 0.9) {
						for _, b2 := range or(s.Beta2, 0.999) {
							for _, lr := range or(s.LR, 1e-3, 1e-2, 1e-1) {
								o.Beta1, o.Beta2, o.LR = b1, b2, lr
								add(o, b)
							}
						}
					}
				default:
					for _, lr := range or(s.LR, 1e-3, 1e-2, 1e-1) {
						o.LR = lr
						add(o, b)
					}
				}
			}
		}
	}
	return out
}

// Range is an interval to sample from: uniformly, or log-uniformly when Log
// is set (then 0 < Min). Min == Max gives that value.
type Range struct {
	Min, Max float64
	Log      bool
}

func (r Range) sample(g *train.RNG) float64 {
	u := g.Float64()
	if r.Log {
		return math.Exp(math.Log(r.Min) + u*(math.Log(r.Max)-math.Log(r.Min)))
	}
	return r.Min + u*(r.Max-r.Min)
}

func (r Range) valid() bool {
	if r.Log && !(r.Min > 0) {
		return false
	}
	return r.Min <= r.Max && !math.IsInf(r.Max, 0) && !math.IsNaN(r.Min) && !math.IsNaN(r.Max)
}

// Ranges is the space of a random search. Zero Ranges take defaults:
//
//	Optimizers   kinds, each equally likely; default adam
//	LR           log-uniform in [1e-4, 1]
//	Beta1        uniform in [0.8, 0.99]      (Adam family)
//	Beta2        1 − log-uniform in [1e-4, 1e-1], i.e. β2 ∈ [0.9, 0.9999]
//	Momentum     uniform in [0.5, 0.99]      (momentum, nesterov)
//	WeightDecay  0 (give a Range to search it; log-uniform needs Min > 0)
//	BatchSize    one of the list, equally likely; default 32
//
// Beta2's Range, when given, is of 1 − β2.
type Ranges struct {
	Optimizers  []string
	LR          Range
	Beta1       Range
	OneMinusB2  Range
	Momentum    Range
	WeightDecay Range
	BatchSize   []int
}

// Random returns n trials drawn from r, numbered from 0. Trial i is drawn by
// its own generator seeded from (seed, i), so the first k trials of a longer
// search are those of a search of k trials.
func Random(r Ranges, n int, seed uint64) ([]Trial, error) {
	def := func(x, d Range) Range {
		if x == (Range{}) {
			return d
		}
		return x
	}
	lr := def(r.LR, Range{1e-4, 1, true})
	b1 := def(r.Beta1, Range{0.8, 0.99, false})
	b2 := def(r.OneMinusB2, Range{1e-4, 1e-1, true})
	mu := def(r.Momentum, Range{0.5, 0.99, false})
	wd := r.WeightDecay
	names := []string{"LR", "Beta1", "OneMinusB2", "Momentum", "WeightDecay"}
	for i, x := range []Range{lr, b1, b2, mu, wd} {
		if !x.valid() {
			return nil, fmt.Errorf("tune: bad range %s %+v", names[i], x)
		}
	}
	if n < 0 {
		return nil, fmt.Errorf("tune: %d random trials", n)
	}
	kinds := or(r.Optimizers, train.Adam)
	batches := or(r.BatchSize, 32)
	out := make([]Trial, n)
	for i := range out {
		g := train.NewRNG(train.DeriveSeed(seed, uint64(i), 0x72616e64))
		o := train.OptimSpec{Kind: strings.ToLower(kinds[g.Intn(len(kinds))])}
		o.LR = lr.sample(g)
		o.WeightDecay = wd.sample(g)
		// Draw every parameter whatever the kind, so that a trial's values do
		// not depend on which others the kind uses.
		beta1, omb2, m := b1.sample(g), b2.sample(g), mu.sample(g)
		switch o.Kind {
		case train.Adam, train.AdamW, train.AMSGrad:
			o.Beta1, o.Beta2 = beta1, 1-omb2
		case train.Momentum, train.Nesterov:
			o.Momentum = m
		}
		out[i] = Trial{Index: i, Optim: o, BatchSize: batches[g.Intn(len(batches))]}
	}
	return out, nil
}
