package optim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/descent-go/descent/kernels"
)

// This file holds the machinery behind the descriptors: a rule is one
// update family — the typed hyper-parameters H of package kernels, their
// step scalars S, the state tensors and the kernel — and the descriptor
// files (sgd.go, adam.go, lion.go, adagrad.go, rmsprop.go) each define one
// rule and the algorithms (aliases) over it. Nothing else in the package
// knows any rule.

// stepFunc runs a tensor's kernel over elements [lo, hi). first is true on
// the optimizer's first update.
type stepFunc func(lo, hi int, first bool)

// binder binds a kernel to one tensor's slices and its group's scalars, at
// construction: st holds the tensor's state slices in the order of the
// rule's StateTensor list, nil where a tensor is not kept.
type binder[T kernels.Float, S any] func(s *S, p, g []T, st [][]T) stepFunc

// param is a hyper-parameter of a rule: its public description and where
// it lives in H (f for numbers, b for switches).
type param[H any] struct {
	HyperParam
	f func(*H) *float64
	b func(*H) *bool
}

// num and flag describe a numeric and a boolean hyper-parameter.
func num[H any](key, doc string, r Interval, f func(*H) *float64) param[H] {
	return param[H]{HyperParam: HyperParam{Key: key, Doc: doc, Range: r}, f: f}
}

func flag[H any](key, doc string, b func(*H) *bool) param[H] {
	return param[H]{HyperParam: HyperParam{Key: key, Doc: doc, Bool: true, Range: Interval{Min: 0, Max: 1}}, b: b}
}

// structural marks a switch that selects the update's form: a checkpoint
// must agree with the optimizer on it.
func (p param[H]) structural() param[H] { p.Structural = true; return p }

// short sets the short label of tables and flags.
func (p param[H]) short(s string) param[H] { p.Short = s; return p }

func (p *param[H]) get(h *H) float64 {
	if p.b != nil {
		if *p.b(h) {
			return 1
		}
		return 0
	}
	return *p.f(h)
}

func (p *param[H]) set(h *H, v float64) {
	if p.b != nil {
		*p.b(h) = v != 0
		return
	}
	*p.f(h) = v
}

// rule is one update family. A descriptor file fills one in and registers
// it with register, then its algorithms with alias.
type rule[H any, S any] struct {
	kind     Kind
	params   []param[H]    // every hyper-parameter, in checkpoint order; one has the key "lr"
	state    []StateTensor // in checkpoint order
	validate func(H) error
	scalars  func(h H, t int, gradScale float64) S // step t ≥ 1
	k32      binder[float32, S]                    // nil for a rule whose tensor32 binds every tensor
	k64      binder[float64, S]                    // likewise, tensor64
	// m32 and m64 bind the mixed-storage steps (storage.go); nil: the rule
	// supports only plain float32 and float64 parameters and state.
	m32 mixedBinder[float32, S]
	m64 mixedBinder[float64, S]

	// The optional per-tensor machinery of rules that are not elementwise
	// (pertensor.go).
	//
	// next replaces scalars for a rule whose step scalars depend on the
	// previous step's (Schedule-Free's weight sum): it advances s in place.
	next func(s *S, h H, t int, gradScale float64)
	// persist lists the fields of S that are state between steps, saved in
	// checkpoints as group metadata under their keys.
	persist []persisted[S]
	// shape refuses a parameter shape a group with hyper-parameters h
	// cannot update (Muon's 2-D matrices).
	shape func(h H, name string, shape []int) error
	// tensor32 and tensor64 bind a tensor with its shape and the
	// optimizer's BLAS, replacing k32/k64's binding: they return the
	// chunked step and, when the rule has one, the per-tensor pre phase
	// that runs before it (nil for none).
	tensor32 tensorBinder[float32, H, S]
	tensor64 tensorBinder[float64, H, S]
	// ready refuses a step (Schedule-Free in evaluation mode).
	ready func(s *S) error

	lr int // index of "lr" in params
}

// aliasOf describes an algorithm over a rule: its defaults (a value of H,
// from the kernels' Default… functions), the keys it fixes to those
// defaults, narrower ranges than the rule's, the keys a search varies by
// default (with how), and descent train's default learning rate.
type aliasOf[H any] struct {
	name, doc string
	order     int // position in Algorithms()
	defaults  H
	fixed     []string
	ranges    map[string]Interval
	tune      map[string]Tune
	trainLR   float64
}

// rules holds every registered rule by kind.
var rules = map[Kind]ruler{}

// ruler is what the rest of the package sees of a rule.
type ruler interface {
	ruleKind() Kind
	// newHyper returns group hyper-parameters of algorithm a from a
	// Group's Hyper (nil, Values or H), checked.
	newHyper(a *Algorithm, hyper any) (groupHyper, error)
	// metaHyper reads every hyper-parameter from checkpoint metadata under
	// prefix, checked against a.
	metaHyper(a *Algorithm, m map[string]string, prefix string) (groupHyper, error)
}

// register adds r to the registry; it panics on a malformed rule (a
// programming error in a descriptor file).
func register[H any, S any](r *rule[H, S]) *rule[H, S] {
	r.lr = -1
	seen := map[string]bool{}
	for i, p := range r.params {
		if seen[p.Key] || p.Key == "" || (p.f == nil) == (p.b == nil) {
			panic(fmt.Sprintf("optim: rule %s: bad or duplicate hyper-parameter %q", r.kind, p.Key))
		}
		seen[p.Key] = true
		if p.Key == "lr" && p.f != nil {
			r.lr = i
		}
	}
	for _, s := range r.state {
		if (s.When != "" && !seen[s.When]) || (s.Unless != "" && !seen[s.Unless]) || (s.Init != "" && !seen[s.Init]) || s.Name == "" {
			panic(fmt.Sprintf("optim: rule %s: state tensor %+v names an unknown hyper-parameter", r.kind, s))
		}
		addSuffix("." + s.Name)
	}
	if r.lr < 0 || rules[r.kind] != nil || r.validate == nil || (r.scalars == nil) == (r.next == nil) ||
		(r.k32 == nil && r.tensor32 == nil) || (r.k64 == nil && r.tensor64 == nil) {
		panic(fmt.Sprintf("optim: rule %s: incomplete or registered twice", r.kind))
	}
	rules[r.kind] = r
	return r
}

// alias registers an algorithm over r.
func (r *rule[H, S]) alias(a aliasOf[H]) *Algorithm {
	alg := &Algorithm{Name: a.name, Doc: a.doc, Kind: r.kind, State: r.state, TrainLR: a.trainLR, order: a.order, rule: r}
	used := map[string]bool{}
	for i := range r.params {
		p := &r.params[i]
		hp := p.HyperParam
		hp.Default = p.get(&a.defaults)
		if rg, ok := a.ranges[hp.Key]; ok {
			hp.Range, used["range "+hp.Key] = rg, true
		}
		if t, ok := a.tune[hp.Key]; ok {
			t := t
			hp.Tune, used["tune "+hp.Key] = &t, true
		}
		for _, k := range a.fixed {
			if k == hp.Key {
				hp.Fixed, used["fixed "+k] = true, true
			}
		}
		alg.Hyper = append(alg.Hyper, hp)
	}
	if len(used) != len(a.ranges)+len(a.tune)+len(a.fixed) {
		panic(fmt.Sprintf("optim: algorithm %s names an unknown hyper-parameter", a.name))
	}
	if err := r.validate(a.defaults); err != nil {
		panic(fmt.Sprintf("optim: algorithm %s: defaults: %v", a.name, err))
	}
	addAlgorithm(alg)
	return alg
}

func (r *rule[H, S]) ruleKind() Kind { return r.kind }

func (r *rule[H, S]) newHyper(a *Algorithm, hyper any) (groupHyper, error) {
	g := &hyperOf[H, S]{r: r, alg: a}
	for i := range r.params {
		r.params[i].set(&g.h, a.Hyper[i].Default)
	}
	switch v := hyper.(type) {
	case nil:
	case Values:
		for k, x := range v {
			i := r.index(k)
			if i < 0 {
				return nil, fmt.Errorf("%s has no hyper-parameter %q (it has %s)", a.Name, k, strings.Join(a.Keys(), ", "))
			}
			p := &a.Hyper[i]
			if p.Bool && x != 0 && x != 1 {
				return nil, fmt.Errorf("%s: %s = %v, want 0 (false) or 1 (true)", a.Name, k, x)
			}
			r.params[i].set(&g.h, x)
		}
	case H:
		g.h = v
	case *H:
		g.h = *v
	default:
		var want H
		return nil, fmt.Errorf("%s: hyper-parameters of type %T, want optim.Values or %T", a.Name, hyper, want)
	}
	return g, g.check()
}

func (r *rule[H, S]) metaHyper(a *Algorithm, m map[string]string, prefix string) (groupHyper, error) {
	g := &hyperOf[H, S]{r: r, alg: a}
	for i := range r.params {
		p := &r.params[i]
		k := prefix + p.Key
		v, ok := m[k]
		if !ok {
			return nil, fmt.Errorf("optim: checkpoint: missing metadata %q", k)
		}
		if p.Bool {
			b, err := strconv.ParseBool(v)
			if err != nil || (v != "true" && v != "false") {
				return nil, fmt.Errorf("optim: checkpoint: metadata %q = %q is not true or false", k, v)
			}
			*p.b(&g.h) = b
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("optim: checkpoint: metadata %q = %q is not a number", k, v)
		}
		*p.f(&g.h) = x
	}
	for _, p := range r.persist {
		k := prefix + p.key
		x, err := metaFloat(m, k)
		if err != nil {
			return nil, err
		}
		*p.f(&g.s) = x
	}
	g.restored = true
	return g, nil
}

func (r *rule[H, S]) index(key string) int {
	for i := range r.params {
		if r.params[i].Key == key {
			return i
		}
	}
	return -1
}

// groupHyper is one group's hyper-parameters with its step scalars.
type groupHyper interface {
	check() error // the kernel's Validate and the algorithm's fixed keys
	values() Values
	typed() any // the H value
	baseLR() float64
	setBaseLR(lr float64)
	// setScalars computes the scalars of step t with learning rate lr and,
	// when cyc ≥ 0, hyper-parameter cyc set to mom (MomentumCycler).
	setScalars(lr float64, cyc int, mom float64, t int, gradScale float64)
	// index returns the index of the hyper-parameter key, or -1.
	index(key string) int
	bind32(p, g []float32, st [][]float32) stepFunc
	bind64(p, g []float64, st [][]float64) stepFunc
	// bindMixed32 and bindMixed64 bind a mixed-storage step; nil when the
	// rule has none (mixed reports it).
	bindMixed32(x *kernels.Mixed[float32]) mixedFunc
	bindMixed64(x *kernels.Mixed[float64]) mixedFunc
	mixed() bool
	// assign sets the hyper-parameters from o, of the same rule.
	assign(o groupHyper)
	// meta writes every hyper-parameter (and the rule's persisted step
	// state) as checkpoint metadata.
	meta(m map[string]string, prefix string)

	// checkShape, bindTensor and ready: see rule's shape, tensor32 and
	// ready (pertensor.go).
	checkShape(name string, shape []int) error
	bindTensor(t anyTensor, c *core) prepFunc
	ready() error
}

// hyperOf is groupHyper for the rule r.
type hyperOf[H any, S any] struct {
	r   *rule[H, S]
	alg *Algorithm
	h   H
	tmp H // h with the scheduled learning rate (kept here so that Step allocates nothing)
	s   S

	restored bool // read from a checkpoint (metaHyper): s holds the rule's persisted step state
}

func (g *hyperOf[H, S]) check() error {
	for i := range g.r.params {
		p := &g.alg.Hyper[i]
		if v := g.r.params[i].get(&g.h); p.Fixed && v != p.Default {
			return fmt.Errorf("%s fixes %s = %s (have %s)", g.alg.Name, p.Key, p.Format(p.Default), p.Format(v))
		}
	}
	return g.r.validate(g.h)
}

func (g *hyperOf[H, S]) values() Values {
	v := make(Values, len(g.r.params))
	for i := range g.r.params {
		v[g.r.params[i].Key] = g.r.params[i].get(&g.h)
	}
	return v
}

func (g *hyperOf[H, S]) typed() any          { return g.h }
func (g *hyperOf[H, S]) baseLR() float64     { return *g.r.params[g.r.lr].f(&g.h) }
func (g *hyperOf[H, S]) setBaseLR(x float64) { *g.r.params[g.r.lr].f(&g.h) = x }

func (g *hyperOf[H, S]) index(key string) int { return g.r.index(key) }

func (g *hyperOf[H, S]) setScalars(lr float64, cyc int, mom float64, t int, gradScale float64) {
	g.tmp = g.h
	*g.r.params[g.r.lr].f(&g.tmp) = lr
	if cyc >= 0 {
		*g.r.params[cyc].f(&g.tmp) = mom
	}
	if g.r.next != nil {
		g.r.next(&g.s, g.tmp, t, gradScale)
		return
	}
	g.s = g.r.scalars(g.tmp, t, gradScale)
}

// bind32 and bind64 return nil for a rule bound by its tensor binder
// (bindTensor sets the step).
func (g *hyperOf[H, S]) bind32(p, gr []float32, st [][]float32) stepFunc {
	if g.r.k32 == nil {
		return nil
	}
	return g.r.k32(&g.s, p, gr, st)
}
func (g *hyperOf[H, S]) bind64(p, gr []float64, st [][]float64) stepFunc {
	if g.r.k64 == nil {
		return nil
	}
	return g.r.k64(&g.s, p, gr, st)
}
func (g *hyperOf[H, S]) bindMixed32(x *kernels.Mixed[float32]) mixedFunc { return g.r.m32(&g.s, x) }
func (g *hyperOf[H, S]) bindMixed64(x *kernels.Mixed[float64]) mixedFunc { return g.r.m64(&g.s, x) }
func (g *hyperOf[H, S]) mixed() bool                                     { return g.r.m32 != nil && g.r.m64 != nil }
func (g *hyperOf[H, S]) assign(o groupHyper) {
	og := o.(*hyperOf[H, S])
	g.h = og.h
	if og.restored { // from a checkpoint: its step state too (SetHyper keeps ours)
		for _, p := range g.r.persist {
			*p.f(&g.s) = *p.f(&og.s)
		}
	}
}

func (g *hyperOf[H, S]) meta(m map[string]string, prefix string) {
	for i := range g.r.params {
		p := &g.r.params[i]
		m[prefix+p.Key] = p.Format(p.get(&g.h))
	}
	for _, p := range g.r.persist {
		m[prefix+p.key] = fstr(*p.f(&g.s))
	}
}

// keeps reports which of the rule's state tensors a group with values v
// keeps: those without a When key, and those whose When key is nonzero.
func keeps(state []StateTensor, v Values) []bool {
	k := make([]bool, len(state))
	for i, s := range state {
		k[i] = (s.When == "" || v[s.When] != 0) && (s.Unless == "" || v[s.Unless] == 0)
	}
	return k
}
