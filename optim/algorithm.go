package optim

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Kind names an update rule — the family of kernels, hyper-parameters and
// state an optimizer runs — as stored in checkpoints ("kind"). Several
// algorithms share a rule: momentum and nesterov are sgd's, adamw and
// amsgrad adam's.
type Kind string

// Algorithm describes one optimizer: the descriptor every consumer reads
// (optim's Step and checkpoints, train's OptimSpec, tune's search spaces
// and tables, the command line). Each is an alias over an update rule, as
// optax's aliases are over its transforms: adamw is the adam rule with
// decoupled weight decay fixed on and its own defaults.
//
// The registry (Algorithms, Lookup) is filled at package initialization
// from one descriptor file per rule; its values must not be modified.
type Algorithm struct {
	Name string // "sgd", "momentum", "nesterov", "adam", "adamw", "amsgrad", "lion", "adagrad", "rmsprop"
	Doc  string // one line
	Kind Kind   // the update rule: the checkpoint's "kind"

	// Hyper lists every hyper-parameter of the rule, in checkpoint order,
	// with this algorithm's defaults, fixed values and search hints.
	Hyper []HyperParam

	// State lists the rule's per-parameter state tensors, in checkpoint
	// order, with PyTorch's names.
	State []StateTensor

	// TrainLR is a learning rate that suits standardized data with batches
	// of 32: the default of descent train and of tune's range test.
	TrainLR float64

	order int
	rule  ruler
}

// HyperParam describes one hyper-parameter of an algorithm.
type HyperParam struct {
	// Key names it in checkpoints ("group.<g>.<Key>"), in Values, in
	// train.OptimSpec and on the command line: PyTorch's argument name
	// ("lr", "weight_decay", "momentum", …; betas are "beta1" and "beta2").
	Key   string
	Short string // a shorter label for tables and flags ("wd"); "" means Key
	Doc   string

	Bool    bool     // a switch: 0 (false) or 1 (true)
	Default float64  // this algorithm's default
	Range   Interval // the values the kernels accept (switches: [0, 1])

	// Fixed: the algorithm sets Default and accepts no other value (adamw's
	// decoupled, nesterov's nesterov).
	Fixed bool
	// Structural: the switch selects the form of the update (amsgrad,
	// decoupled, centered); a checkpoint must agree with the optimizer on
	// it. (A value that decides whether a state tensor is kept — momentum
	// ≠ 0 — is checked through the state tensors.)
	Structural bool

	// Tune is how a hyper-parameter search treats it: nil, never varied
	// (it keeps its default); otherwise a search may vary it, and by default
	// varies it over Tune's grid or interval (an empty Tune: the default
	// alone unless the search gives values).
	Tune *Tune
}

// Varied reports whether a search varies the hyper-parameter by default:
// its Tune has a grid or an interval.
func (p *HyperParam) Varied() bool {
	return p.Tune != nil && (len(p.Tune.Grid) > 0 || p.Tune.Min != 0 || p.Tune.Max != 0)
}

// Label returns Short, or Key when Short is empty.
func (p *HyperParam) Label() string {
	if p.Short != "" {
		return p.Short
	}
	return p.Key
}

// Format writes a value of the hyper-parameter: "true" or "false" for a
// switch, the shortest decimal that parses back to v otherwise.
func (p *HyperParam) Format(v float64) string {
	if p.Bool {
		return strconv.FormatBool(v != 0)
	}
	return fstr(v)
}

// Parse reads a value of the hyper-parameter as Format writes it (switches
// also accept 0 and 1).
func (p *HyperParam) Parse(s string) (float64, error) {
	if p.Bool {
		switch s {
		case "true", "1":
			return 1, nil
		case "false", "0":
			return 0, nil
		}
		return 0, fmt.Errorf("%s: %q is not true or false", p.Key, s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("%s: %q is not a number", p.Key, s)
	}
	return v, nil
}

// Interval is a range of real numbers, [Min, Max] with either end open;
// Max = +Inf means no upper bound (the values themselves are finite).
type Interval struct {
	Min, Max         float64
	MinOpen, MaxOpen bool
}

// Contains reports whether x is a finite number in the interval.
func (r Interval) Contains(x float64) bool {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return false
	}
	lo := x > r.Min || (!r.MinOpen && x == r.Min)
	hi := x < r.Max || (!r.MaxOpen && x == r.Max)
	return lo && hi
}

// String writes the interval as "[0, 1)" or "(0, ∞)".
func (r Interval) String() string {
	l, h := "[", "]"
	if r.MinOpen {
		l = "("
	}
	if r.MaxOpen || math.IsInf(r.Max, 1) {
		h = ")"
	}
	mx := fstr(r.Max)
	if math.IsInf(r.Max, 1) {
		mx = "∞"
	}
	return l + fstr(r.Min) + ", " + mx + h
}

func atLeast(x float64) Interval { return Interval{Min: x, Max: math.Inf(1)} }
func above(x float64) Interval   { return Interval{Min: x, Max: math.Inf(1), MinOpen: true} }
func unit() Interval             { return Interval{Min: 0, Max: 1} }
func unitOpen() Interval         { return Interval{Min: 0, Max: 1, MaxOpen: true} }

// Tune is how a search varies a hyper-parameter when it is not told
// otherwise (package tune reads it); its presence makes the
// hyper-parameter searchable.
type Tune struct {
	// Grid is the values of a grid search; nil: the default alone.
	Grid []float64
	// Min and Max bound a random search, sampled uniformly or, with Log,
	// log-uniformly (then 0 < Min); Min = Max = 0: the default alone.
	Min, Max float64
	Log      bool
	// Complement: Min, Max and Log bound 1 − value (β2: 1 − β2 log-uniform
	// in [1e-4, 1e-1]).
	Complement bool
}

// StateTensor describes one state tensor a rule keeps per parameter.
type StateTensor struct {
	// Name is PyTorch's state name ("exp_avg", "momentum_buffer", …); a
	// checkpoint stores the tensor as "<parameter>.<Name>".
	Name string
	// When names the hyper-parameter that must be nonzero for the tensor to
	// be kept ("amsgrad", "momentum"); "" for always.
	When string
	// Unless names the hyper-parameter that must be zero for the tensor to
	// be kept (muon's "adamw": AdamW groups keep exp_avg and exp_avg_sq,
	// Muon groups a momentum buffer); "" for always.
	Unless string
	// Init names the hyper-parameter the tensor starts at
	// ("initial_accumulator_value"); "" for zero.
	Init string
	// Signed says the tensor's elements take both signs: 8-bit state
	// stores it with the signed map (kernels.Q8Signed), otherwise with the
	// unsigned one (kernels.Q8Unsigned).
	Signed bool
}

// Values are hyper-parameters by key (HyperParam.Key); a switch is 0 or 1.
type Values map[string]float64

var (
	registry      []*Algorithm
	registryNames = map[string]*Algorithm{}
	suffixes      []string
)

func addAlgorithm(a *Algorithm) {
	if _, dup := registryNames[a.Name]; dup || a.Name == "" || a.Name != strings.ToLower(a.Name) {
		panic(fmt.Sprintf("optim: algorithm %q registered twice or badly named", a.Name))
	}
	registryNames[a.Name] = a
	registry = append(registry, a)
	slices.SortStableFunc(registry, func(x, y *Algorithm) int { return x.order - y.order })
}

func addSuffix(s string) {
	if !slices.Contains(suffixes, s) {
		suffixes = append(suffixes, s)
	}
}

// Algorithms returns every registered algorithm, in a fixed order: sgd,
// momentum, nesterov, adam, adamw, amsgrad, lion, adagrad, rmsprop.
func Algorithms() []*Algorithm { return slices.Clone(registry) }

// Names returns the algorithms' names in the order of Algorithms.
func Names() []string {
	ns := make([]string, len(registry))
	for i, a := range registry {
		ns[i] = a.Name
	}
	return ns
}

// Lookup returns the algorithm named name (case-insensitive).
func Lookup(name string) (*Algorithm, bool) {
	a, ok := registryNames[strings.ToLower(name)]
	return a, ok
}

// lookup is Lookup with an error naming the known algorithms.
func lookup(name string) (*Algorithm, error) {
	if a, ok := Lookup(name); ok {
		return a, nil
	}
	return nil, fmt.Errorf("optim: unknown optimizer %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// StateSuffixes returns the checkpoint suffixes of every rule's state
// tensors (".exp_avg", ".momentum_buffer", …): no parameter name may end in
// one.
func StateSuffixes() []string {
	return slices.Clone(suffixes)
}

// Param returns the hyper-parameter with the given key.
func (a *Algorithm) Param(key string) (HyperParam, bool) {
	for _, p := range a.Hyper {
		if p.Key == key {
			return p, true
		}
	}
	return HyperParam{}, false
}

// Keys returns the hyper-parameters' keys in order.
func (a *Algorithm) Keys() []string {
	ks := make([]string, len(a.Hyper))
	for i, p := range a.Hyper {
		ks[i] = p.Key
	}
	return ks
}

// Defaults returns every hyper-parameter at its default.
func (a *Algorithm) Defaults() Values {
	v := make(Values, len(a.Hyper))
	for _, p := range a.Hyper {
		v[p.Key] = p.Default
	}
	return v
}

// Check validates hyper-parameters given by key, the others taking their
// defaults: unknown keys, values for fixed keys other than the default,
// switches other than 0 and 1, and values the kernels refuse are errors.
// It returns the complete values.
func (a *Algorithm) Check(v Values) (Values, error) {
	h, err := a.rule.newHyper(a, v)
	if err != nil {
		return nil, fmt.Errorf("optim: %w", err)
	}
	return h.values(), nil
}

// KeptState returns the names of the state tensors a parameter keeps under
// the complete hyper-parameters v (see Check), in checkpoint order.
func (a *Algorithm) KeptState(v Values) []string {
	var ns []string
	for i, k := range keeps(a.State, v) {
		if k {
			ns = append(ns, a.State[i].Name)
		}
	}
	return ns
}

// Group is a parameter group of an optimizer made by New: parameters with
// their own hyper-parameters and, optionally, a learning-rate schedule.
//
// Hyper is nil (the algorithm's defaults), Values (keys not given take the
// defaults) or the rule's hyper-parameter struct of package kernels —
// kernels.SGD, kernels.Adam, kernels.Lion, kernels.Adagrad,
// kernels.RMSprop — taken whole.
type Group struct {
	Params   []Param
	Hyper    any
	Schedule Schedule // nil: the learning rate is the base "lr" at every step

	// Embeddings are tables with row-sparse gradients, updated with the
	// group's hyper-parameters by the rule's sparse update (see Embedding).
	// A group needs a parameter or an embedding.
	Embeddings []Embedding

	// State is how the group's optimizer state is stored: StateFull (the
	// zero value: in the parameters' compute type) or State8Bit (blockwise
	// 8-bit codes, see kernels.Q8Map). 8-bit state applies to the
	// parameters computed in float32 (Data32 or Data16) with at least
	// Min8Bit elements; the others, and the group's embedding tables, keep
	// full-precision state. The per-tensor rules (muon, lamb, schedulefree)
	// refuse it.
	State StateFormat
	// Min8Bit is the smallest tensor whose state State8Bit quantizes; 0
	// means DefaultMin8Bit.
	Min8Bit int
}

// New returns an optimizer of the named algorithm (see Algorithms) over the
// groups' parameters. It validates every group's hyper-parameters, every
// parameter and the options.
func New(name string, groups []Group, opts ...Option) (*Optimizer, error) {
	a, err := lookup(name)
	if err != nil {
		return nil, err
	}
	return a.New(groups, opts...)
}

// New returns an optimizer of algorithm a; see the function New.
func (a *Algorithm) New(groups []Group, opts ...Option) (*Optimizer, error) {
	gs := make([]group, len(groups))
	ps := make([][]Param, len(groups))
	es := make([][]Embedding, len(groups))
	for i, g := range groups {
		h, err := a.rule.newHyper(a, g.Hyper)
		if err != nil {
			return nil, fmt.Errorf("optim: group %d: %w", i, err)
		}
		q8min, err := g.q8Min()
		if err != nil {
			return nil, fmt.Errorf("optim: group %d: %w", i, err)
		}
		gs[i] = group{h: h, sched: g.Schedule, lr: h.baseLR(), cycle: cycleIndex(g.Schedule, h), q8min: q8min}
		ps[i], es[i] = g.Params, g.Embeddings
	}
	return newOptimizer(a, gs, ps, es, opts)
}

// compatible reports why a checkpoint's complete hyper-parameters ck cannot
// be restored into a group with the complete hyper-parameters cur: a
// structural or fixed value differs, or they keep different state tensors.
func (a *Algorithm) compatible(ck, cur Values) error {
	for _, p := range a.Hyper {
		if (p.Structural || p.Fixed) && ck[p.Key] != cur[p.Key] {
			return fmt.Errorf("has %s=%s, the optimizer %s=%s", p.Key, p.Format(ck[p.Key]), p.Key, p.Format(cur[p.Key]))
		}
	}
	if kc, ko := a.KeptState(ck), a.KeptState(cur); !slices.Equal(kc, ko) {
		var why []string
		for _, s := range a.State {
			for _, k := range []string{s.When, s.Unless} {
				if k != "" && (ck[k] != 0) != (cur[k] != 0) && !slices.Contains(why, k) {
					p, _ := a.Param(k)
					why = append(why, fmt.Sprintf("%s %s against %s", k, p.Format(ck[k]), p.Format(cur[k])))
				}
			}
		}
		return fmt.Errorf("keeps state %v, the optimizer %v (%s)", kc, ko, strings.Join(why, ", "))
	}
	return nil
}
