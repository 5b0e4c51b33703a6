package train

import (
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/optim/schedule"
)

// Names of some optimizers of package optim, for OptimSpec.Kind. Every
// algorithm of optim's registry is accepted (Kinds lists them: lion,
// adagrad, rmsprop …).
const (
	SGD      = "sgd"      // plain (stochastic) gradient descent
	Momentum = "momentum" // SGD with heavy-ball momentum
	Nesterov = "nesterov" // SGD with Nesterov momentum
	Adam     = "adam"
	AdamW    = "adamw" // Adam with decoupled weight decay
	AMSGrad  = "amsgrad"
)

// Kinds lists the optimizer kinds: the names of optim's algorithms
// (optim.Names), in its order.
func Kinds() []string { return optim.Names() }

// OptimSpec describes an optimizer of package optim by value, so that a
// training run or a search trial can build its own.
//
// Kind names the algorithm (optim.Lookup; "" is sgd). Hyper-parameters are
// given by their key (optim.HyperParam.Key) in Hyper, or by the named
// fields, shorthands for the keys "lr", "momentum", "beta1", "beta2", "eps"
// and "weight_decay"; a key in Hyper wins over its field. A hyper-parameter
// given neither way takes the algorithm's default. LR and WeightDecay are
// always used as given (a zero weight decay is none, also for adamw); the
// other named fields are not given when zero (ask for an exact 0 through
// Hyper, as Set does). A named field whose key the algorithm does not have
// is ignored (Beta1 for sgd); a key of Hyper it does not have, or fixes to
// another value, is an error.
type OptimSpec struct {
	Kind        string             // one of Kinds(); "" is sgd
	LR          float64            // base learning rate
	Momentum    float64            // μ (momentum, nesterov; sgd, rmsprop)
	Beta1       float64            // adam family, lion
	Beta2       float64            // adam family, lion
	Eps         float64            // adam family, adagrad, rmsprop
	WeightDecay float64            // L2 penalty, or decoupled decay (adamw)
	Hyper       map[string]float64 `json:",omitempty"` // any hyper-parameter by key
	Workers     int                // optimizer goroutines; 0 means 1
	// State8Bit keeps the optimizer state of float32 parameters of at
	// least Min8Bit elements (0: optim.DefaultMin8Bit) as blockwise 8-bit
	// codes (optim.State8Bit).
	State8Bit bool `json:",omitempty"`
	Min8Bit   int  `json:",omitempty"`
}

// specFields are the named fields of OptimSpec by key; asGiven marks the
// fields used as given even when zero.
var specFields = []struct {
	key     string
	field   func(*OptimSpec) *float64
	asGiven bool
}{
	{"lr", func(s *OptimSpec) *float64 { return &s.LR }, true},
	{"momentum", func(s *OptimSpec) *float64 { return &s.Momentum }, false},
	{"beta1", func(s *OptimSpec) *float64 { return &s.Beta1 }, false},
	{"beta2", func(s *OptimSpec) *float64 { return &s.Beta2 }, false},
	{"eps", func(s *OptimSpec) *float64 { return &s.Eps }, false},
	{"weight_decay", func(s *OptimSpec) *float64 { return &s.WeightDecay }, true},
}

// withDefaults lower-cases the kind ("" is sgd) and sets Workers.
func (s OptimSpec) withDefaults() OptimSpec {
	if s.Kind == "" {
		s.Kind = SGD
	}
	s.Kind = strings.ToLower(s.Kind)
	if s.Workers == 0 {
		s.Workers = 1
	}
	return s
}

// Algorithm returns the spec's algorithm.
func (s OptimSpec) Algorithm() (*optim.Algorithm, error) {
	s = s.withDefaults()
	a, ok := optim.Lookup(s.Kind)
	if !ok {
		return nil, fmt.Errorf("train: unknown optimizer %q (want one of %s)", s.Kind, strings.Join(Kinds(), ", "))
	}
	return a, nil
}

// Given returns the hyper-parameters the spec gives for its algorithm, by
// key (named fields the algorithm does not have left out).
func (s OptimSpec) Given() (optim.Values, error) {
	a, err := s.Algorithm()
	if err != nil {
		return nil, err
	}
	v := optim.Values{}
	for _, f := range specFields {
		if x := *f.field(&s); f.asGiven || x != 0 {
			if p, ok := a.Param(f.key); ok && !p.Fixed {
				v[f.key] = x
			}
		}
	}
	for k, x := range s.Hyper {
		v[k] = x
	}
	return v, nil
}

// Values returns every hyper-parameter of the spec's algorithm, given or
// default, checked (optim.Algorithm.Check).
func (s OptimSpec) Values() (optim.Values, error) {
	v, err := s.Given()
	if err != nil {
		return nil, err
	}
	a, _ := s.Algorithm()
	v, err = a.Check(v)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return v, nil
}

// Set returns s with the hyper-parameter key set to v, to be used as
// given: in its named field when it has one and v is not a zero that would
// read as "not given", in Hyper otherwise.
func (s OptimSpec) Set(key string, v float64) OptimSpec {
	for _, f := range specFields {
		if f.key == key && (f.asGiven || v != 0) {
			*f.field(&s) = v
			if _, ok := s.Hyper[key]; ok {
				s.Hyper = maps.Clone(s.Hyper)
				delete(s.Hyper, key)
			}
			return s
		}
	}
	h := make(map[string]float64, len(s.Hyper)+1)
	maps.Copy(h, s.Hyper)
	h[key] = v
	s.Hyper = h
	return s
}

// String describes the optimizer: its kind with the learning rate, the
// hyper-parameters a search varies by default (optim.HyperParam.Varied),
// the others given with a value other than the default, and the weight
// decay, as "adam(lr=0.01, beta1=0.9, beta2=0.999, wd=0)".
func (s OptimSpec) String() string {
	s = s.withDefaults()
	a, err := s.Algorithm()
	if err != nil {
		return fmt.Sprintf("%s(lr=%.4g)", s.Kind, s.LR)
	}
	given, _ := s.Given()
	all, err := s.Values()
	if err != nil {
		all = a.Defaults()
		for k, x := range given {
			all[k] = x
		}
	}
	var parts []string
	show := func(p optim.HyperParam) {
		parts = append(parts, p.Label()+"="+formatHyper(p, all[p.Key]))
	}
	lr, _ := a.Param("lr")
	show(lr)
	for _, p := range a.Hyper {
		_, isGiven := given[p.Key]
		if p.Key != "lr" && p.Key != "weight_decay" && (p.Varied() || (isGiven && all[p.Key] != p.Default)) {
			show(p)
		}
	}
	if wd, ok := a.Param("weight_decay"); ok {
		show(wd)
	}
	if s.State8Bit {
		m := s.Min8Bit
		if m == 0 {
			m = optim.DefaultMin8Bit
		}
		parts = append(parts, fmt.Sprintf("8-bit state from %d elements", m))
	}
	return s.Kind + "(" + strings.Join(parts, ", ") + ")"
}

func formatHyper(p optim.HyperParam, v float64) string {
	if p.Bool {
		return p.Format(v)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// New builds the optimizer over params with the given schedule (nil: constant
// learning rate), with optim.WithFiniteCheck and WithWorkers(Workers) ahead of
// opts. It returns an error for an unknown kind or hyper-parameters that optim
// rejects.
func (s OptimSpec) New(params []optim.Param, sched optim.Schedule, opts ...optim.Option) (*optim.Optimizer, error) {
	s = s.withDefaults()
	v, err := s.Given()
	if err != nil {
		return nil, err
	}
	all := append([]optim.Option{optim.WithFiniteCheck(), optim.WithWorkers(s.Workers)}, opts...)
	gs := muonGroups(s.Kind, params, v, sched)
	for i := range gs {
		gs[i].Min8Bit = s.Min8Bit
		if s.State8Bit {
			gs[i].State = optim.State8Bit
		}
	}
	return optim.New(s.Kind, gs, all...)
}

// Schedule kinds accepted by ScheduleSpec.Kind.
const (
	Constant = "constant"
	Cosine   = "cosine"
	StepLR   = "step"
	OneCycle = "onecycle"
	Plateau  = "plateau"
)

// ScheduleKinds lists the schedule kinds, in a fixed order.
func ScheduleKinds() []string { return []string{Constant, Cosine, StepLR, OneCycle, Plateau} }

// ScheduleSpec describes a learning-rate schedule of package optim/schedule
// over a run of a known number of optimizer steps.
//
//	constant   the base rate
//	cosine     cosine annealing to 0 at the last step
//	step       ×Gamma (default 0.1) every StepSize steps (default a third of the run)
//	onecycle   PyTorch's OneCycleLR peaking at the base rate
//	plateau    ×Factor (default 0.1) when the monitored loss has not improved
//	           for Patience epochs (default 2); the training loop feeds it
//	           once per epoch
//
// Warmup > 0 wraps any of them in a linear warm-up over that many steps from
// 1% of the rate (schedule.Warmup); the inner schedule then spans the
// remaining steps.
type ScheduleSpec struct {
	Kind     string // one of ScheduleKinds(); "" is constant
	Warmup   int    // warm-up steps
	StepSize int    // step: steps between decays
	Gamma    float64
	Patience int // plateau: epochs without improvement
	Factor   float64
}

// Check returns the error New would return for the spec (an unknown kind, a
// negative warm-up, bad parameters) whatever the length of the run.
func (s ScheduleSpec) Check() error {
	if s.Warmup < 0 {
		return fmt.Errorf("train: negative warm-up %d", s.Warmup)
	}
	_, err := s.New(s.Warmup + 2)
	return err
}

// New builds the schedule for a run of totalSteps optimizer steps.
func (s ScheduleSpec) New(totalSteps int) (optim.Schedule, error) {
	if s.Warmup < 0 {
		return nil, fmt.Errorf("train: negative warm-up %d", s.Warmup)
	}
	rest := totalSteps - s.Warmup
	if rest < 1 {
		rest = 1
	}
	var inner optim.Schedule
	var err error
	switch strings.ToLower(s.Kind) {
	case "", Constant:
		inner = schedule.Constant{}
	case Cosine:
		inner, err = schedule.NewCosine(max(rest-1, 1), 0)
	case StepLR:
		size, gamma := s.StepSize, s.Gamma
		if size == 0 {
			size = max(rest/3, 1)
		}
		if gamma == 0 {
			gamma = 0.1
		}
		inner, err = schedule.NewStep(size, gamma)
	case OneCycle:
		inner, err = schedule.NewOneCycle(schedule.DefaultOneCycle(0, rest))
	case Plateau:
		c := schedule.DefaultPlateau()
		c.Patience = 2
		if s.Patience > 0 {
			c.Patience = s.Patience
		}
		if s.Factor != 0 {
			c.Factor = s.Factor
		}
		inner, err = schedule.NewPlateau(c)
	default:
		return nil, fmt.Errorf("train: unknown schedule %q (want one of %s)", s.Kind, strings.Join(ScheduleKinds(), ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("train: schedule %s: %w", s.Kind, err)
	}
	if s.Warmup == 0 {
		return inner, nil
	}
	w, err := schedule.NewWarmup(inner, s.Warmup, 0.01)
	if err != nil {
		return nil, fmt.Errorf("train: warm-up: %w", err)
	}
	return w, nil
}

// muonGroups returns the optimizer's groups: one over params, except for
// muon, where the 2-D parameters form a Muon group and the others (biases,
// vectors) an AdamW group with the same hyper-parameters (adamw = true), as
// Muon is run in practice. (The models' weight matrices fold their biases
// in as an extra row: they are all Muon's.)
func muonGroups(kind string, params []optim.Param, v optim.Values, sched optim.Schedule) []optim.Group {
	if a, ok := optim.Lookup(kind); !ok || a.Kind != optim.KindMuon || v["adamw"] != 0 {
		return []optim.Group{{Params: params, Hyper: v, Schedule: sched}}
	}
	var mats, rest []optim.Param
	for _, p := range params {
		if len(p.Shape) == 2 {
			mats = append(mats, p)
		} else {
			rest = append(rest, p)
		}
	}
	var gs []optim.Group
	if len(mats) > 0 {
		gs = append(gs, optim.Group{Params: mats, Hyper: v, Schedule: sched})
	}
	if len(rest) > 0 {
		aw := optim.Values{"adamw": 1}
		for k, x := range v {
			aw[k] = x
		}
		gs = append(gs, optim.Group{Params: rest, Hyper: aw, Schedule: sched})
	}
	return gs
}
