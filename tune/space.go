package tune

import (
	"fmt"
	"math"
	"strings"

	"github.com/descent-go/descent/optim"
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
// optimizer kind is a trial. Which hyper-parameters a kind has, their
// defaults and which ones a search may vary come from the kind's
// descriptor (optim.Lookup, optim.HyperParam.Tune): each searchable
// hyper-parameter is crossed with the values given here or, when none are,
// its hint's grid; one with neither keeps its default.
//
//	Optimizers   kinds of train.Kinds(); default adam
//	LR           every kind; default its hint (1e-3, 1e-2, 1e-1 for most)
//	Beta1, Beta2 the kinds that search them (adam, adamw, amsgrad, lion); default theirs
//	Momentum     the kinds that search it (momentum, nesterov, rmsprop); default theirs
//	WeightDecay  every kind; default its default (0; 0.01 for adamw)
//	Hyper        any searchable hyper-parameter by key ("alpha", "centered",
//	             "eps" …); wins over the lists above
//	BatchSize    every kind; default 32
//
// The named lists are shorthands for Hyper's keys "lr", "beta1", "beta2",
// "momentum" and "weight_decay". A list applies to the kinds that may search
// its key: plain sgd has a momentum, but is not searched over it.
type Space struct {
	Optimizers  []string
	LR          []float64
	Beta1       []float64
	Beta2       []float64
	Momentum    []float64
	WeightDecay []float64
	Hyper       map[string][]float64
	BatchSize   []int
}

func or[T any](v []T, def ...T) []T {
	if len(v) == 0 {
		return def
	}
	return v
}

// asGiven are the keys a trial always sets (train.OptimSpec uses its LR and
// WeightDecay as given, zero included).
var asGiven = map[string]bool{"lr": true, "weight_decay": true}

// defaultLR is the learning-rate hint of a kind that has no descriptor (an
// unknown name, which Search reports).
var defaultLR = optim.Tune{Grid: []float64{1e-3, 1e-2, 1e-1}, Min: 1e-4, Max: 1, Log: true}

// searched returns the hyper-parameters a search over kind may vary, in the
// order of the grid's nesting: weight decay, the kind's own parameters in
// its order, the learning rate last.
func searched(kind string) []optim.HyperParam {
	a, ok := optim.Lookup(kind)
	if !ok {
		return []optim.HyperParam{{Key: "weight_decay", Tune: &optim.Tune{Log: true}}, {Key: "lr", Tune: &defaultLR}}
	}
	var wd, own, lr []optim.HyperParam
	for _, p := range a.Hyper {
		switch {
		case p.Fixed || p.Tune == nil:
		case p.Key == "lr":
			lr = append(lr, p)
		case p.Key == "weight_decay":
			wd = append(wd, p)
		default:
			own = append(own, p)
		}
	}
	return append(append(wd, own...), lr...)
}

// values returns the grid's values of p: the space's, or p's hint's grid;
// nil when p keeps its default (unset, unless it is always set).
func (s Space) values(p optim.HyperParam) []float64 {
	named := map[string][]float64{"lr": s.LR, "beta1": s.Beta1, "beta2": s.Beta2, "momentum": s.Momentum, "weight_decay": s.WeightDecay}
	switch {
	case len(s.Hyper[p.Key]) > 0:
		return s.Hyper[p.Key]
	case len(named[p.Key]) > 0:
		return named[p.Key]
	case len(p.Tune.Grid) > 0:
		return p.Tune.Grid
	case asGiven[p.Key]:
		return []float64{p.Default}
	}
	return nil
}

// Grid returns the trials of the grid, numbered from 0, in a fixed order:
// optimizers in the order given, then batch size, weight decay, the
// kind's own parameters and the learning rate, the last varying fastest.
// Parameters that do not apply to a kind (betas for SGD, momentum for Adam)
// are not crossed with it, so no two trials are the same.
func Grid(s Space) []Trial {
	var out []Trial
	for _, kind := range or(s.Optimizers, train.Adam) {
		kind = strings.ToLower(kind)
		ps := searched(kind)
		for _, b := range or(s.BatchSize, 32) {
			var cross func(i int, o train.OptimSpec)
			cross = func(i int, o train.OptimSpec) {
				if i == len(ps) {
					out = append(out, Trial{Index: len(out), Optim: o, BatchSize: b})
					return
				}
				vs := s.values(ps[i])
				if vs == nil {
					cross(i+1, o)
				}
				for _, v := range vs {
					cross(i+1, o.Set(ps[i].Key, v))
				}
			}
			cross(0, train.OptimSpec{Kind: kind})
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

// Ranges is the space of a random search. Each kind's searchable
// hyper-parameters (those with a Tune hint in its descriptor) are drawn from
// the ranges given here or, when none is, from the hint's interval; one
// with neither keeps its default. A zero Range is none:
//
//	Optimizers   kinds, each equally likely; default adam
//	LR           log-uniform in [1e-4, 1] (lion [1e-5, 1e-1], adagrad [1e-3, 1] …)
//	Beta1        uniform in [0.8, 0.99]      (Adam family, lion)
//	OneMinusB2   1 − β2 log-uniform in [1e-4, 1e-1], i.e. β2 ∈ [0.9, 0.9999] (Adam family; lion: β2 ∈ [0.9, 0.999])
//	Momentum     uniform in [0.5, 0.99]      (momentum, nesterov; rmsprop: its default, 0)
//	WeightDecay  the default (give a Range to search it; log-uniform needs Min > 0)
//	Hyper        ranges of any searchable hyper-parameter by key; wins over the above
//	BatchSize    one of the list, equally likely; default 32
//
// For a hyper-parameter whose hint has Complement (β2, RMSprop's α), the
// range is of 1 − value: OneMinusB2 is the range of 1 − β2, and so is
// Hyper["beta2"]. As for Space, a range applies to the kinds that may search
// its key.
type Ranges struct {
	Optimizers  []string
	LR          Range
	Beta1       Range
	OneMinusB2  Range
	Momentum    Range
	WeightDecay Range
	Hyper       map[string]Range
	BatchSize   []int
}

// rangeOf returns the range p is drawn from and whether it is of 1 − p;
// ok is false when p keeps its default.
func (r Ranges) rangeOf(p optim.HyperParam) (rg Range, complement, ok bool) {
	complement = p.Tune.Complement
	named := map[string]Range{"lr": r.LR, "beta1": r.Beta1, "beta2": r.OneMinusB2, "momentum": r.Momentum, "weight_decay": r.WeightDecay}
	if x := r.Hyper[p.Key]; x != (Range{}) {
		return x, complement, true
	}
	if x := named[p.Key]; x != (Range{}) {
		return x, complement, true
	}
	if t := p.Tune; t.Min != 0 || t.Max != 0 {
		return Range{Min: t.Min, Max: t.Max, Log: t.Log}, complement, true
	}
	return Range{}, false, false
}

// Random returns n trials drawn from r, numbered from 0. Trial i is drawn by
// its own generators seeded from (seed, i) — one for the kind and batch
// size, one per hyper-parameter key — so the first k trials of a longer
// search are those of a search of k trials, and a trial's values do not
// depend on which other hyper-parameters its kind has.
func Random(r Ranges, n int, seed uint64) ([]Trial, error) {
	named := []struct {
		name string
		r    Range
	}{{"LR", r.LR}, {"Beta1", r.Beta1}, {"OneMinusB2", r.OneMinusB2}, {"Momentum", r.Momentum}, {"WeightDecay", r.WeightDecay}}
	for _, x := range named {
		if x.r != (Range{}) && !x.r.valid() {
			return nil, fmt.Errorf("tune: bad range %s %+v", x.name, x.r)
		}
	}
	for k, x := range r.Hyper {
		if x != (Range{}) && !x.valid() {
			return nil, fmt.Errorf("tune: bad range %s %+v", k, x)
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
		batch := batches[g.Intn(len(batches))]
		for _, p := range searched(o.Kind) {
			rg, complement, ok := r.rangeOf(p)
			if !ok {
				if asGiven[p.Key] {
					o = o.Set(p.Key, p.Default)
				}
				continue
			}
			v := rg.sample(train.NewRNG(train.DeriveSeed(seed, uint64(i), keySeed(p.Key))))
			if complement {
				v = 1 - v
			}
			o = o.Set(p.Key, v)
		}
		out[i] = Trial{Index: i, Optim: o, BatchSize: batch}
	}
	return out, nil
}

// keySeed hashes a hyper-parameter key (FNV-1a) into a seed part.
func keySeed(key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * 1099511628211
	}
	return h
}
