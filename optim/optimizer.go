package optim

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sort"

	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/kernels"
)

// ChunkElems is the number of elements of one work item: larger tensors are
// cut into chunks of ChunkElems elements (the last one shorter), smaller
// ones (and the tails) are batched into items of at most ChunkElems
// elements. It is a multiple of 16 so that, relative to the start of its
// tensor, every chunk starts 64 bytes apart for both element types. The
// partition depends only on the tensors' lengths, never on the number of
// workers, so every result — including the clipping norm, summed per
// chunk — is bit-identical for any number of workers.
const ChunkElems = 1 << 16

// SGDGroup is a parameter group of an SGD optimizer: parameters with their
// own hyper-parameters and, optionally, a learning-rate schedule.
type SGDGroup struct {
	Params     []Param
	Hyper      kernels.SGD
	Schedule   Schedule    // nil: the learning rate is Hyper.LR at every step
	Embeddings []Embedding // tables with row-sparse gradients (sparse SGD; see Embedding)
}

// AdamGroup is a parameter group of an Adam, AdamW or AMSGrad optimizer.
type AdamGroup struct {
	Params     []Param
	Hyper      kernels.Adam
	Schedule   Schedule    // nil: the learning rate is Hyper.LR at every step
	Embeddings []Embedding // tables with row-sparse gradients (lazy Adam; see Embedding)
}

// ErrNonFinite is returned by Step when a gradient holds NaN or ±Inf, the
// check ran (clipping by norm or WithFiniteCheck) and no loss scaler is
// set: the step is skipped and nothing changes. With a loss scaler the step
// is skipped without an error and the scale backs off.
var ErrNonFinite = errors.New("optim: non-finite gradient; step skipped")

// MaxStep is the largest step count: Step returns ErrStepLimit, changing
// nothing, once StepCount() is MaxStep, and a checkpoint whose step count
// cannot be advanced (MaxStep or more) is refused.
const MaxStep = math.MaxInt

// ErrStepLimit is returned by Step when the step count is MaxStep: one more
// update could not be counted.
var ErrStepLimit = errors.New("optim: step count is at its limit (MaxStep); step refused")

// StepInfo reports what one call of Step did.
type StepInfo struct {
	Step     int     // updates taken so far, this one included if not skipped
	Skipped  bool    // a gradient was not finite: nothing was updated
	HasNorm  bool    // GradNorm was computed (clipping by norm, a loss scaler or the finite check)
	GradNorm float64 // global L2 norm of the unscaled (and value-clipped) gradients
	ClipCoef float64 // factor applied to the gradients by clipping by norm; 1 when none
	Scale    float64 // loss scale for the next backward pass (1 without a scaler)
}

type option struct {
	workers     int
	clipNorm    float64
	clipValue   float64
	checkFinite bool
	scaler      *ScalerConfig
	blas        *blas.Impl
}

// Option configures an optimizer at construction.
type Option func(*option)

// WithWorkers sets the number of goroutines that run a step, the caller's
// included; n ≤ 0 means runtime.GOMAXPROCS(0) (the default). Results do not
// depend on n.
func WithWorkers(n int) Option { return func(o *option) { o.workers = n } }

// WithClipNorm clips gradients by their global L2 norm over all
// parameters, as torch.nn.utils.clip_grad_norm_(params, maxNorm) before
// every step: with norm = sqrt(Σ over all gradient elements of g²) (per
// chunk sums of squares from kernels.SumSquares, combined in a fixed order:
// chunks of a tensor in order, then tensors in order), the gradients are
// multiplied by maxNorm/(norm+1e-6) when that is < 1. The multiplication is
// folded into the update pass (the gradient scale of the kernels' scalars),
// so the gradients are not rewritten. With a loss scaler, the norm is
// computed on the scaled gradients and divided by the scale, giving the
// norm of the unscaled gradients.
func WithClipNorm(maxNorm float64) Option { return func(o *option) { o.clipNorm = maxNorm } }

// WithClipValue clamps every gradient element to [−c, c] before the
// update, as torch.nn.utils.clip_grad_value_, rewriting the gradients in
// place (a pure-Go loop, chunked over the workers like the update). With a
// loss scaler the clamp applies to the scaled gradients with the bound
// c·scale, which is the same clamp of the unscaled gradients up to the
// rounding of the bound. With clipping by norm too, the norm is that of the
// clamped gradients.
func WithClipValue(c float64) Option { return func(o *option) { o.clipValue = c } }

// WithFiniteCheck makes every Step check that the gradients are finite
// (one extra read of the gradients, fused with the norm computation) and
// return ErrNonFinite, changing nothing, when they are not. Clipping by
// norm and loss scaling imply the check.
func WithFiniteCheck() Option { return func(o *option) { o.checkFinite = true } }

// WithLossScaler enables dynamic loss scaling; see ScalerConfig.
func WithLossScaler(cfg ScalerConfig) Option {
	return func(o *option) { c := cfg; o.scaler = &c }
}

// Optimizer updates named parameters in place. It is not safe for
// concurrent use; its worker goroutines run only inside Step.
type Optimizer struct {
	c *core
}

type group struct {
	h      groupHyper // hyper-parameters (lr is the base rate) and step scalars
	sched  Schedule
	lr     float64 // learning rate of the last update (the base before any)
	nextLR float64
	cycle  int     // hyper-parameter the schedule's momentum sets (MomentumCycler), or -1
	mom    float64 // its value for the next update
	born   int     // the optimizer's step count when the group was added (AddGroup); its own count is step − born
	q8min  int     // tensors of at least this many elements keep 8-bit state; 0: none
	params []int   // indices into core.tensors
}

type segment struct {
	t      int32
	lo, hi int
}

const (
	phasePre = iota + 1
	phaseUpdate
	phaseTensor // the per-tensor phase (pertensor.go)
)

// core is everything a step touches. The worker pool refers to it, never
// to the Optimizer, so that an Optimizer dropped without Close is still
// collected and its cleanup stops the workers.
type core struct {
	alg     *Algorithm
	groups  []group
	tensors []anyTensor
	byName  map[string]int

	segs  []segment
	items []int // item i is segs[items[i]:items[i+1]]
	order []int // segment indices sorted by (tensor, lo)

	segSum    []float64
	segFinite []bool

	step  int
	phase int

	clipNorm    float64
	clipValue   float64
	clamp       float64 // the value clamp's bound for this step (clipValue·scale)
	checkFinite bool
	scaler      *scaler

	meta map[string]string // caller metadata (SetMetadata)

	sp *sparseCore // the embeddings (sparse.go); nil when there are none

	blas  *blas.Impl // for the rules that multiply matrices (WithBLAS)
	preps []prepItem // the tensors with a per-tensor phase (pertensor.go)

	pool *pool

	// scratches holds one kernels.Scratch per worker, for mixed-storage
	// tensors (storage.go).
	scratches chan *kernels.Scratch
}

// NewSGD returns an SGD optimizer (with momentum, dampening, Nesterov,
// weight decay and maximize as in torch.optim.SGD) over the groups'
// parameters: New("sgd", …) with typed hyper-parameters. It validates every
// group's hyper-parameters, every parameter and the options.
func NewSGD(groups []SGDGroup, opts ...Option) (*Optimizer, error) {
	gs := make([]Group, len(groups))
	for i, g := range groups {
		gs[i] = Group{Params: g.Params, Hyper: g.Hyper, Schedule: g.Schedule, Embeddings: g.Embeddings}
	}
	return New(string(KindSGD), gs, opts...)
}

// NewAdam returns an Adam optimizer over the groups' parameters; a group
// whose Hyper has Decoupled set is AdamW, one with AMSGrad set is AMSGrad
// (kernels.DefaultAdam and kernels.DefaultAdamW give PyTorch's defaults):
// New("adam", …) with typed hyper-parameters. It validates every group's
// hyper-parameters, every parameter and the options.
func NewAdam(groups []AdamGroup, opts ...Option) (*Optimizer, error) {
	gs := make([]Group, len(groups))
	for i, g := range groups {
		gs[i] = Group{Params: g.Params, Hyper: g.Hyper, Schedule: g.Schedule, Embeddings: g.Embeddings}
	}
	return New(string(KindAdam), gs, opts...)
}

func newOptimizer(alg *Algorithm, gs []group, ps [][]Param, es [][]Embedding, opts []Option) (*Optimizer, error) {
	var op option
	for _, f := range opts {
		f(&op)
	}
	switch {
	case len(gs) == 0:
		return nil, errors.New("optim: no parameter groups")
	case !(op.clipNorm >= 0) || math.IsInf(op.clipNorm, 0):
		return nil, fmt.Errorf("optim: clip norm %v must be finite and ≥ 0 (0: off)", op.clipNorm)
	case !(op.clipValue >= 0) || math.IsInf(op.clipValue, 0):
		return nil, fmt.Errorf("optim: clip value %v must be finite and ≥ 0 (0: off)", op.clipValue)
	}
	c := &core{alg: alg, groups: gs, clipNorm: op.clipNorm, clipValue: op.clipValue, checkFinite: op.checkFinite, blas: op.blas}
	if c.blas == nil {
		c.blas = blas.Default()
	}
	if op.scaler != nil {
		if err := op.scaler.Validate(); err != nil {
			return nil, err
		}
		c.scaler = newScaler(*op.scaler)
	}
	var all []*Param
	for gi := range ps {
		if len(ps[gi]) == 0 && len(es[gi]) == 0 {
			return nil, fmt.Errorf("optim: group %d has no parameters", gi)
		}
		for pi := range ps[gi] {
			all = append(all, &ps[gi][pi])
		}
		if err := checkShapes(gs[gi].h, ps[gi]); err != nil {
			return nil, err
		}
	}
	if err := checkParams(all); err != nil {
		return nil, err
	}
	if err := checkEmbeddings(alg, gs, all, es); err != nil {
		return nil, err
	}
	for gi := range ps {
		for pi := range ps[gi] {
			if err := checkStorage(alg, &ps[gi][pi], gs[gi].h, gs[gi].q8min); err != nil {
				return nil, err
			}
		}
	}
	c.byName = make(map[string]int, len(all))
	for gi := range ps {
		c.addTensors(gi, ps[gi])
	}
	c.partition(ChunkElems)
	c.addEmbeddings(es)
	workers := op.workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	c.pool = newPool(workers, c)
	c.scratches = make(chan *kernels.Scratch, workers)
	for range workers {
		c.scratches <- new(kernels.Scratch)
	}
	o := &Optimizer{c: c}
	runtime.AddCleanup(o, func(p *pool) { p.close() }, c.pool)
	return o, nil
}

// partition cuts the tensors into segments and groups them into items:
// every full chunk of chunk elements is an item of its own; shorter pieces
// (small tensors and tails) are batched, in tensor order, into items of at
// most chunk elements. It depends only on the tensors' lengths.
func (c *core) partition(chunk int) {
	var items [][]segment
	var pending []segment
	pendingN := 0
	for ti := range c.tensors {
		if _, ok := c.tensors[ti].(sparser); ok {
			continue // embeddings: their items come from their touched rows (sparse.go)
		}
		n := c.tensors[ti].base().n
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			s := segment{int32(ti), lo, hi}
			if hi-lo == chunk {
				items = append(items, []segment{s})
				continue
			}
			if pendingN+(hi-lo) > chunk {
				items = append(items, pending)
				pending, pendingN = nil, 0
			}
			pending = append(pending, s)
			pendingN += hi - lo
		}
	}
	if len(pending) > 0 {
		items = append(items, pending)
	}
	c.segs, c.items = nil, []int{0}
	for _, it := range items {
		c.segs = append(c.segs, it...)
		c.items = append(c.items, len(c.segs))
	}
	c.order = make([]int, len(c.segs))
	for i := range c.order {
		c.order[i] = i
	}
	sort.Slice(c.order, func(i, j int) bool {
		a, b := c.segs[c.order[i]], c.segs[c.order[j]]
		if a.t != b.t {
			return a.t < b.t
		}
		return a.lo < b.lo
	})
	c.segSum = make([]float64, len(c.segs))
	c.segFinite = make([]bool, len(c.segs))
}

func (c *core) nItems() int { return len(c.items) - 1 }

func (c *core) runItem(i int) {
	if c.phase == phaseTensor {
		c.runPrep(i)
		return
	}
	if i >= c.nItems() {
		c.sp.runItem(i - c.nItems())
		return
	}
	for si := c.items[i]; si < c.items[i+1]; si++ {
		if c.phase == phasePre {
			c.pre(si)
		} else {
			c.update(si)
		}
	}
}

// pre clamps a segment's gradient (with clipping by value) and computes
// its sum of squares and finiteness.
func (c *core) pre(si int) {
	s := c.segs[si]
	c.segSum[si], c.segFinite[si] = c.tensors[s.t].pre(s.lo, s.hi, c.clamp)
}

// update runs the tensor's kernel over one segment (clamping its gradient
// first when clipping by value and the pre phase did not).
func (c *core) update(si int) {
	s := c.segs[si]
	clamp := c.clamp
	if c.needPre() {
		clamp = 0
	}
	t := c.tensors[s.t]
	first := c.step == c.groups[t.base().group].born // the group's first update: momentum buffers take the gradient
	t.update(s.lo, s.hi, first, clamp)
}

func (c *core) needPre() bool { return c.clipNorm > 0 || c.scaler != nil || c.checkFinite }

// combine returns the sum of squares of all gradients — per tensor, its
// chunks' sums in order; then the tensors' sums in order — and whether all
// were finite.
func (c *core) combine() (float64, bool) {
	total, ts := 0.0, 0.0
	finite := true
	cur := int32(-1)
	for _, si := range c.order {
		s := c.segs[si]
		if s.t != cur {
			total += ts
			ts, cur = 0, s.t
		}
		ts += c.segSum[si]
		finite = finite && c.segFinite[si]
	}
	return total + ts, finite
}

// Step does one update of every parameter from its gradient: loss-scale
// and finiteness check, clipping, the groups' learning rates from their
// schedules, then one pass per tensor through the fused kernels, chunked
// over the workers. It allocates nothing (given schedules that do not).
// Embeddings' gradients are checked and coalesced first (see Embedding): a
// row id outside the table, or a RowGrad whose values do not match its
// ids, returns an error naming it and changes nothing.
//
// When a gradient is not finite (checked with a loss scaler, clipping by
// norm or WithFiniteCheck), nothing is updated and the step count does not
// advance: with a loss scaler the scale backs off and Step returns a nil
// error with info.Skipped set; without one it returns ErrNonFinite. An
// invalid learning rate from a schedule returns an error and changes
// nothing either (gradients clamped by WithClipValue stay clamped), and so
// does a step at the step count's limit (ErrStepLimit).
func (o *Optimizer) Step() (StepInfo, error) {
	c := o.c
	info := StepInfo{Step: c.step, ClipCoef: 1, Scale: 1}
	scale := 1.0
	if c.scaler != nil {
		scale = c.scaler.scale
		info.Scale = scale
	}
	if c.step >= MaxStep {
		return info, ErrStepLimit
	}
	if err := c.ready(); err != nil {
		return info, err
	}
	c.clamp = 0
	if c.clipValue > 0 {
		c.clamp = c.clipValue * scale
	}
	if err := c.sp.prepare(c.clamp, c.needPre()); err != nil {
		return info, err
	}
	gradScale := 1.0
	if c.needPre() {
		c.phase = phasePre
		c.pool.run(c.nItems())
		sum, finite := c.sp.addNorm(c.combine())
		if !finite {
			info.Skipped = true
			if c.scaler != nil {
				c.scaler.update(false)
				info.Scale = c.scaler.scale
				return info, nil
			}
			return info, ErrNonFinite
		}
		norm := math.Sqrt(sum) / scale
		info.HasNorm, info.GradNorm = true, norm
		if c.clipNorm > 0 {
			if coef := c.clipNorm / (norm + 1e-6); coef < 1 {
				gradScale, info.ClipCoef = coef, coef
			}
		}
	}
	if scale != 1 {
		gradScale /= scale
	}
	t := c.step + 1
	for gi := range c.groups {
		g := &c.groups[gi]
		base := g.h.baseLR()
		lr := base
		if g.sched != nil {
			lr = g.sched.LR(c.step, base)
			if !(lr >= 0) || math.IsInf(lr, 0) {
				return info, fmt.Errorf("optim: group %d: schedule gave learning rate %v at step %d (base %v)", gi, lr, c.step, base)
			}
		}
		g.nextLR = lr
		if g.cycle >= 0 {
			g.mom = g.sched.(MomentumCycler).Momentum(c.step)
			if !(g.mom >= 0 && g.mom < 1) {
				return info, fmt.Errorf("optim: group %d: schedule gave momentum %v at step %d, want in [0, 1)", gi, g.mom, c.step)
			}
		}
	}
	for gi := range c.groups {
		g := &c.groups[gi]
		g.lr = g.nextLR
		g.h.setScalars(g.lr, g.cycle, g.mom, t-g.born, gradScale)
	}
	if len(c.preps) > 0 {
		c.phase = phaseTensor
		c.pool.run(len(c.preps))
	}
	c.phase = phaseUpdate
	c.pool.run(c.nItems() + c.sp.nItems())
	c.step = t
	info.Step = t
	if c.scaler != nil {
		c.scaler.update(true)
		info.Scale = c.scaler.scale
	}
	return info, nil
}

// ZeroGrad sets every gradient to zero and empties every embedding's
// RowGrad (RowGrad.Reset).
func (o *Optimizer) ZeroGrad() {
	for _, t := range o.c.tensors {
		t.zeroGrad()
	}
}

// Close stops the worker goroutines. Later steps run on the calling
// goroutine alone, with the same results. Close is idempotent; an
// Optimizer that becomes unreachable is closed by the garbage collector.
func (o *Optimizer) Close() error {
	o.c.pool.close()
	return nil
}

// Kind returns the optimizer's update rule (its algorithm's Kind).
func (o *Optimizer) Kind() Kind { return o.c.alg.Kind }

// Algorithm returns the optimizer's algorithm.
func (o *Optimizer) Algorithm() *Algorithm { return o.c.alg }

// Hyper returns group g's hyper-parameters by key ("lr" is the base rate).
func (o *Optimizer) Hyper(g int) Values { return o.c.groups[g].h.values() }

// StepCount returns the number of updates taken (skipped steps do not
// count). The next update is step StepCount()+1 in PyTorch's numbering.
func (o *Optimizer) StepCount() int { return o.c.step }

// Workers returns the number of goroutines that run a step.
func (o *Optimizer) Workers() int { return o.c.pool.workers }

// NumGroups returns the number of parameter groups.
func (o *Optimizer) NumGroups() int { return len(o.c.groups) }

// LR returns group g's learning rate of the last update (its base learning
// rate before the first).
func (o *Optimizer) LR(g int) float64 { return o.c.groups[g].lr }

// SGDHyper returns group g's hyper-parameters (LR is the base rate) of an
// SGD optimizer; it panics for other kinds.
func (o *Optimizer) SGDHyper(g int) kernels.SGD { return typedHyper[kernels.SGD](o, g, "SGDHyper") }

// AdamHyper returns group g's hyper-parameters (LR is the base rate) of an
// Adam optimizer; it panics for other kinds.
func (o *Optimizer) AdamHyper(g int) kernels.Adam { return typedHyper[kernels.Adam](o, g, "AdamHyper") }

// TypedHyper returns group g's hyper-parameters (LR is the base rate) as the
// rule's struct of package kernels (kernels.Lion for lion …): a value of
// the type New accepts as a Group's Hyper.
func (o *Optimizer) TypedHyper(g int) any { return o.c.groups[g].h.typed() }

func typedHyper[H any](o *Optimizer, g int, fn string) H {
	h, ok := o.c.groups[g].h.typed().(H)
	if !ok {
		panic(fmt.Sprintf("optim: %s on a %s optimizer", fn, o.c.alg.Kind))
	}
	return h
}

// SetBaseLR sets group g's base learning rate (the one schedules scale).
func (o *Optimizer) SetBaseLR(g int, lr float64) error {
	if !(lr >= 0) || math.IsInf(lr, 0) {
		return fmt.Errorf("optim: SetBaseLR: learning rate %v must be finite and ≥ 0", lr)
	}
	gr := &o.c.groups[g]
	gr.h.setBaseLR(lr)
	if o.c.step == 0 {
		gr.lr = lr
	}
	return nil
}

// Names returns the parameters' names in order (groups in order, each
// group's parameters in the order given).
func (o *Optimizer) Names() []string {
	ns := make([]string, len(o.c.tensors))
	for i, t := range o.c.tensors {
		ns[i] = t.base().name
	}
	return ns
}

// Scale returns the loss scale to multiply the loss by before the backward
// pass: the loss scaler's current scale, or 1 without one.
func (o *Optimizer) Scale() float64 {
	if o.c.scaler == nil {
		return 1
	}
	return o.c.scaler.scale
}
