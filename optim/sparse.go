package optim

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"unsafe"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/safetensors"
)

// This file holds the sparse row updates of embedding tables: the
// row-sparse gradient (RowGrad), the embedding parameter (Embedding), the
// coalescing of duplicate rows, and the row updates of each rule — lazy
// Adam/AdamW/AMSGrad, sparse SGD, Adagrad (element-wise, or FBGEMM's
// row-wise form). Every row update runs kernels of the catalog (AdamStep,
// AMSGradStep, SGDStep, AdagradStep, Scale, Axpy, SumSquares), so every
// implementation gives the reference's bits.

// RowGrad is the row-sparse gradient of an embedding table of rows of dim
// elements: entry k adds the gradient row Values[k·dim:(k+1)·dim] to row
// IDs[k] of the table. IDs may repeat and come in any order (a batch that
// looks a row up twice contributes two entries); Step coalesces them (see
// Embedding) without changing the RowGrad.
//
// The optimizer keeps the *RowGrad it is given: the training loop refills
// it before each Step (Reset, then Add or Row), reusing its slices, so
// that a step allocates nothing once they have grown to a batch's size.
// ZeroGrad resets it. A RowGrad with len(Values) ≠ len(IDs)·dim, or an id
// outside [0, rows), makes Step return an error and change nothing.
type RowGrad[T kernels.Float] struct {
	IDs    []int
	Values []T
}

// Reset empties g, keeping its slices' capacity.
func (g *RowGrad[T]) Reset() {
	g.IDs, g.Values = g.IDs[:0], g.Values[:0]
}

// Len returns the number of entries (rows with their duplicates).
func (g *RowGrad[T]) Len() int { return len(g.IDs) }

// Add appends the gradient row of row id (copied).
func (g *RowGrad[T]) Add(id int, row []T) {
	g.IDs = append(g.IDs, id)
	g.Values = append(g.Values, row...)
}

// Row appends an entry for row id and returns its dim elements, zeroed, to
// accumulate the gradient into. The slice is valid until the next Add or
// Row.
func (g *RowGrad[T]) Row(id, dim int) []T {
	g.IDs = append(g.IDs, id)
	n := len(g.Values)
	g.Values = slices.Grow(g.Values, dim)[:n+dim]
	r := g.Values[n : n+dim : n+dim]
	clear(r)
	return r
}

// Embedding is a table parameter of Rows rows of Dim elements (row-major:
// row r is Data[r·Dim:(r+1)·Dim]) whose gradient is row-sparse: a batch
// touches a few rows, and a step costs what those rows cost, not the
// table. Set exactly one of (Data32, Grad32) or (Data64, Grad64);
// Embedding32 and Embedding64 build one that way. An Embedding sits in a
// Group beside dense parameters and shares the group's hyper-parameters,
// schedule and the optimizer's step count; Step updates it in the same
// call as the dense ones.
//
// Coalescing. Each Step first coalesces the gradient: entries are sorted
// by row id, and the rows of equal ids summed in their input order
// (((g₁ + g₂) + g₃) for three entries of one id, each sum rounded to the
// element type). The result — one gradient row per touched row, in
// increasing id order — never depends on the entries' order beyond that
// of equal ids, on goroutines or on the number of workers. Clipping by
// value clamps the coalesced rows (the RowGrad is not rewritten); the
// global norm of clipping and the loss scaler's finiteness check include
// the coalesced rows: the norm's sum of squares adds, after every dense
// parameter's, each embedding's in order (groups in order, each group's
// embeddings in order), each one the sum of kernels.SumSquares over
// chunks of ChunkElems elements of its coalesced rows, in order — the
// same sum as a dense parameter holding those rows.
//
// Updates. Only the touched rows are read or written; the step scalars
// (learning rate, bias corrections, gradient scale) are the group's for
// the optimizer's global step t, as for the dense parameters:
//
//	adam, adamw, amsgrad  lazy Adam (torch.optim.SparseAdam's semantics):
//	                      kernels.AdamStep (AMSGradStep) on each touched
//	                      row's θ, coalesced g, m, v (vmax); untouched rows
//	                      keep θ, m and v (and vmax) bit for bit, where
//	                      dense Adam would decay their moments and move θ
//	                      by the remaining momentum. Bias correction uses
//	                      t, the global step, not a per-row count (as
//	                      SparseAdam). Weight decay (L2 or AdamW's
//	                      decoupled θ·(1 − lr·λ)) applies to touched rows
//	                      only. ε is added as dense Adam adds it,
//	                      sqrt(v)/sqrt(1−β2^t) + ε; SparseAdam adds it
//	                      before the bias correction, sqrt(v) + ε with step
//	                      size lr·sqrt(1−β2^t)/(1−β1^t), which is this
//	                      update with ε/sqrt(1−β2^t) in place of ε.
//	sgd                   sparse SGD: kernels.SGDStep on each touched row
//	                      (weight decay on touched rows only); momentum ≠ 0
//	                      is refused.
//	adagrad               element-wise: kernels.AdagradStep on each touched
//	                      row, torch.optim.Adagrad's sparse update (equal to
//	                      the dense step when weight decay is 0, since an
//	                      untouched row's gradient is 0).
//	adagrad, RowWise      row-wise Adagrad, FBGEMM's EXACT_ROWWISE_ADAGRAD:
//	                      one accumulator per row, the state tensor "sum"
//	                      of shape [Rows] (starting at
//	                      initial_accumulator_value); for each touched row
//	                      r with coalesced gradient row g (in T):
//
//	    g[j] = g[j]·GradScale              kernels.Scale, when GradScale ≠ 1 (loss scale, clipping, maximize)
//	    g[j] = g[j] + θ[j]·λ               kernels.Axpy, when weight_decay λ ≠ 0 (L2, as FBGEMM's mode 1)
//	    s    = Σ g[j]²                     kernels.SumSquares: float64, canonical order
//	    sum[r] = sum[r] + T(s / Dim)       the mean of g² over the row, rounded once to T
//	    μ    = T(StepSize / (sqrt(float64(sum[r])) + ε))   in float64, rounded once to T
//	    θ[j] = θ[j] − μ·g[j]               kernels.SGDStep with LR μ
//
//	                      with StepSize = lr/(1 + (t−1)·lr_decay). FBGEMM
//	                      computes the mean and μ in float32 (its GPU
//	                      kernels apply L2 as a factor 1 − μ·λ on θ); this
//	                      is the same update, each step rounded as written
//	                      here.
//
// Lion and RMSprop have no sparse update: New refuses an Embedding in
// their optimizers.
//
// Checkpoints hold an embedding as a parameter of shape [Rows, Dim] with
// its state tensors ("<name>.exp_avg" … of shape [Rows, Dim]; the row-wise
// "<name>.sum" of shape [Rows]); its name is listed in its group's
// parameters after the dense ones.
type Embedding struct {
	Name      string // unique among all parameters; see ValidName
	Rows, Dim int    // Rows ≥ 0, Dim ≥ 1, Rows·Dim = len(Data)

	Data32 []float32
	Grad32 *RowGrad[float32]
	Data64 []float64
	Grad64 *RowGrad[float64]

	// RowWise selects Adagrad's row-wise form (one accumulator per row);
	// only an adagrad optimizer accepts it.
	RowWise bool
}

// Embedding32 returns a float32 Embedding of rows×dim elements over data
// and its row-sparse gradient.
func Embedding32(name string, rows, dim int, data []float32, grad *RowGrad[float32]) Embedding {
	return Embedding{Name: name, Rows: rows, Dim: dim, Data32: data, Grad32: grad}
}

// Embedding64 returns a float64 Embedding of rows×dim elements over data
// and its row-sparse gradient.
func Embedding64(name string, rows, dim int, data []float64, grad *RowGrad[float64]) Embedding {
	return Embedding{Name: name, Rows: rows, Dim: dim, Data64: data, Grad64: grad}
}

// MakeTable returns a zeroed table of rows×dim elements for an Embedding.
// On Linux it asks the kernel to back the table with transparent huge pages
// (madvise MADV_HUGEPAGE; the optimizer does the same for an embedding's
// state), which a row-sparse step needs to be fast: its rows are scattered
// over the whole table, and with 4 KiB pages nearly every row costs a TLB
// miss. It panics if rows < 0, dim < 1 or rows·dim overflows.
func MakeTable[T kernels.Float](rows, dim int) []T {
	if rows < 0 || dim < 1 || (rows > 0 && dim > math.MaxInt/rows) {
		panic(fmt.Sprintf("optim: MakeTable: bad shape %d×%d", rows, dim))
	}
	x := make([]T, rows*dim)
	adviseHuge(x)
	return x
}

// check validates e on its own, for a group with hyper-parameters h.
func (e *Embedding) check(alg *Algorithm, h groupHyper) error {
	if err := ValidName(e.Name); err != nil {
		return err
	}
	has32 := e.Data32 != nil || e.Grad32 != nil
	has64 := e.Data64 != nil || e.Grad64 != nil
	n := len(e.Data32) + len(e.Data64)
	switch {
	case has32 && has64:
		return fmt.Errorf("optim: embedding %q sets both float32 and float64 fields: set (Data32, Grad32) or (Data64, Grad64)", e.Name)
	case !has32 && !has64:
		return fmt.Errorf("optim: embedding %q has no data", e.Name)
	case has32 && (e.Data32 == nil || e.Grad32 == nil), has64 && (e.Data64 == nil || e.Grad64 == nil):
		return fmt.Errorf("optim: embedding %q: nil data or gradient", e.Name)
	case e.Rows < 0 || e.Dim < 1 || (e.Rows > 0 && e.Dim > math.MaxInt/e.Rows):
		return fmt.Errorf("optim: embedding %q: bad shape %d×%d (rows ≥ 0, dim ≥ 1)", e.Name, e.Rows, e.Dim)
	case e.Rows*e.Dim != n:
		return fmt.Errorf("optim: embedding %q: shape %d×%d has %d elements, data has %d", e.Name, e.Rows, e.Dim, e.Rows*e.Dim, n)
	}
	switch hs := h.(type) {
	case *hyperOf[kernels.Adam, kernels.AdamScalars]:
	case *hyperOf[kernels.SGD, kernels.SGDScalars]:
		if hs.h.Momentum != 0 {
			return fmt.Errorf("optim: embedding %q: sparse SGD has no momentum (momentum %v; use 0, or adam)", e.Name, hs.h.Momentum)
		}
	case *hyperOf[kernels.Adagrad, kernels.AdagradScalars]:
		return nil
	default:
		return fmt.Errorf("optim: embedding %q: %s has no sparse update (use sgd, adam, adamw, amsgrad or adagrad)", e.Name, alg.Name)
	}
	if e.RowWise {
		return fmt.Errorf("optim: embedding %q: RowWise is Adagrad's row-wise form; this optimizer is %s", e.Name, alg.Name)
	}
	return nil
}

// checkEmbeddings validates every group's embeddings (es[g]) against the
// groups' hyper-parameters and the dense parameters ps (already checked):
// unique names, and no data slice overlapping another's or a dense slice.
func checkEmbeddings(alg *Algorithm, gs []group, ps []*Param, es [][]Embedding) error {
	seen := make(map[string]bool, len(ps))
	var spans []span
	for _, p := range ps {
		seen[p.Name] = true
		spans = append(spans, p.spans()...)
	}
	have := false
	for gi := range es {
		for i := range es[gi] {
			e := &es[gi][i]
			have = true
			if err := e.check(alg, gs[gi].h); err != nil {
				return err
			}
			if seen[e.Name] {
				return fmt.Errorf("optim: duplicate parameter name %q", e.Name)
			}
			seen[e.Name] = true
			if e.Data32 != nil {
				spans = append(spans, spanOf(e.Name+" data", e.Data32))
			} else {
				spans = append(spans, spanOf(e.Name+" data", e.Data64))
			}
		}
	}
	if !have {
		return nil
	}
	return checkOverlap(spans)
}

// sparseItemElems bounds the elements of one work item of the sparse
// update: whole coalesced rows, at least one. Rows are distinct after
// coalescing, so the partition never affects a result.
const sparseItemElems = ChunkElems / 4

// sparser is what the optimizer sees of an embedding tensor beyond
// anyTensor.
type sparser interface {
	anyTensor
	// coalesce checks and coalesces the gradient, clamps the coalesced
	// rows (clamp > 0) and, with norm, computes their sum of squares and
	// finiteness. It changes nothing outside the tensor's scratch.
	coalesce(clamp float64, norm bool) error
	norm() (float64, bool)
	nRows() int
	// updateRows updates the table at coalesced rows [a, b); it returns
	// a value read from the rows (see touch).
	updateRows(a, b int) float64
}

// sparseItem is coalesced rows [a, b) of tensor t.
type sparseItem struct {
	t    sparser
	a, b int
	sink float64 // what updateRows returned: kept so its reads are not optimized away
}

// sparseCore is the optimizer's embeddings and the current step's work
// items over them.
type sparseCore struct {
	ts    []sparser
	items []sparseItem
}

// addEmbeddings appends the embeddings' tensors to c (after the dense ones,
// and after the partition, which they are not part of) and lists them in
// their groups.
func (c *core) addEmbeddings(es [][]Embedding) {
	for gi := range es {
		for i := range es[gi] {
			e := &es[gi][i]
			b := tensorBase{name: e.Name, shape: []int{e.Rows, e.Dim}, group: gi, n: e.Rows * e.Dim}
			var t sparser
			if e.Data32 != nil {
				t = newSparse(b, e, e.Data32, e.Grad32, c.alg.State, c.groups[gi].h)
			} else {
				t = newSparse(b, e, e.Data64, e.Grad64, c.alg.State, c.groups[gi].h)
			}
			if c.sp == nil {
				c.sp = &sparseCore{}
			}
			c.byName[b.name] = len(c.tensors)
			c.groups[gi].params = append(c.groups[gi].params, len(c.tensors))
			c.tensors = append(c.tensors, t)
			c.sp.ts = append(c.sp.ts, t)
		}
	}
}

// prepare coalesces every embedding's gradient, clamps it and (with norm)
// computes its norm, and cuts the update into items. On error nothing
// outside the embeddings' scratch has changed.
func (s *sparseCore) prepare(clamp float64, norm bool) error {
	if s == nil {
		return nil
	}
	s.items = s.items[:0]
	for _, t := range s.ts {
		if err := t.coalesce(clamp, norm); err != nil {
			return err
		}
	}
	for _, t := range s.ts {
		n := t.nRows()
		per := max(1, sparseItemElems/t.base().shape[1])
		for a := 0; a < n; a += per {
			s.items = append(s.items, sparseItem{t: t, a: a, b: min(a+per, n)})
		}
	}
	return nil
}

// addNorm adds the embeddings' sums of squares, in order, to sum.
func (s *sparseCore) addNorm(sum float64, finite bool) (float64, bool) {
	if s == nil {
		return sum, finite
	}
	for _, t := range s.ts {
		ts, f := t.norm()
		sum += ts
		finite = finite && f
	}
	return sum, finite
}

func (s *sparseCore) nItems() int {
	if s == nil {
		return 0
	}
	return len(s.items)
}

func (s *sparseCore) runItem(i int) {
	it := &s.items[i]
	it.sink = it.t.updateRows(it.a, it.b)
}

// sparseRule selects a sparse tensor's row update.
type sparseRule uint8

const (
	sparseAdam sparseRule = iota + 1
	sparseAMSGrad
	sparseSGD
	sparseAdagrad
	sparseRowAdagrad
)

// sparseTensor is one embedding with its state and the current step's
// coalesced gradient.
type sparseTensor[T kernels.Float] struct {
	tensorBase
	rows, dim int
	p         []T
	grad      *RowGrad[T]
	state     [][]T // one per StateTensor of the rule; nil where not kept; row-wise: Rows elements
	rule      sparseRule
	adam      *kernels.AdamScalars
	sgd       *kernels.SGDScalars
	ada       *kernels.AdagradScalars

	// The coalesced gradient: ids[u] (increasing) has the row
	// vals[u·dim:(u+1)·dim].
	perm, tmp []int // the entries in coalescing order (sortEntries), scratch
	ids       []int
	vals      []T
	sum       float64
	finite    bool
}

// param returns the table as a Param: its data, shaped rows × dim, with no
// dense gradient (Optimizer.Params, weights files).
func (t *sparseTensor[T]) param() Param {
	p := Param{Name: t.name, Shape: []int{t.rows, t.dim}}
	switch d := any(t.p).(type) {
	case []float32:
		p.Data32 = d
	case []float64:
		p.Data64 = d
	}
	return p
}

func newSparse[T kernels.Float](b tensorBase, e *Embedding, p []T, g *RowGrad[T], state []StateTensor, h groupHyper) *sparseTensor[T] {
	t := &sparseTensor[T]{tensorBase: b, rows: e.Rows, dim: e.Dim, p: p, grad: g, state: make([][]T, len(state))}
	v := h.values()
	for i, keep := range keeps(state, v) {
		if !keep {
			continue
		}
		n := b.n
		if e.RowWise {
			n = e.Rows
		}
		s := make([]T, n)
		adviseHuge(s)
		if k := state[i].Init; k != "" && v[k] != 0 {
			init := T(v[k])
			for j := range s {
				s[j] = init
			}
		}
		t.state[i] = s
	}
	switch hs := h.(type) {
	case *hyperOf[kernels.Adam, kernels.AdamScalars]:
		t.adam, t.rule = &hs.s, sparseAdam
		if t.state[2] != nil {
			t.rule = sparseAMSGrad
		}
	case *hyperOf[kernels.SGD, kernels.SGDScalars]:
		t.sgd, t.rule = &hs.s, sparseSGD
	case *hyperOf[kernels.Adagrad, kernels.AdagradScalars]:
		t.ada, t.rule = &hs.s, sparseAdagrad
		if e.RowWise {
			t.rule = sparseRowAdagrad
		}
	default:
		panic("optim: newSparse: no sparse update") // checked by checkEmbeddings
	}
	return t
}

func (t *sparseTensor[T]) base() *tensorBase { return &t.tensorBase }

// pre and update are the dense path's; an embedding is not part of the
// partition, so they are never called.
func (t *sparseTensor[T]) pre(lo, hi int, clamp float64) (float64, bool) {
	panic("optim: pre on an embedding")
}
func (t *sparseTensor[T]) update(lo, hi int, first bool, clamp float64) {
	panic("optim: update on an embedding")
}

func (t *sparseTensor[T]) zeroGrad() { t.grad.Reset() }

func (t *sparseTensor[T]) outs(state []StateTensor) []safetensors.Out {
	o := []safetensors.Out{safetensors.Of(t.name, t.shape, t.p)}
	for i, s := range t.state {
		if s == nil {
			continue
		}
		shape := t.shape
		if t.rule == sparseRowAdagrad {
			shape = []int{t.rows}
		}
		o = append(o, safetensors.Of(t.name+"."+state[i].Name, shape, s))
	}
	return o
}

func (t *sparseTensor[T]) load(k int, data []byte) { loadTensor(t.p, t.state, k, data) }

func (t *sparseTensor[T]) stateOf(i int) any { return t.state[i] }

func (t *sparseTensor[T]) stateBytes() int64 { return sliceBytes(t.state) }

func (t *sparseTensor[T]) nRows() int { return len(t.ids) }

func (t *sparseTensor[T]) norm() (float64, bool) { return t.sum, t.finite }

// coalesce: see sparser.
func (t *sparseTensor[T]) coalesce(clamp float64, norm bool) error {
	g, d := t.grad, t.dim
	n := len(g.IDs)
	t.ids, t.vals = t.ids[:0], t.vals[:0]
	if len(g.Values) != n*d {
		return fmt.Errorf("optim: embedding %q: gradient has %d ids and %d values, want %d·%d = %d", t.name, n, len(g.Values), n, d, n*d)
	}
	for k, id := range g.IDs {
		if id < 0 || id >= t.rows {
			return fmt.Errorf("optim: embedding %q: gradient entry %d has row id %d, outside [0, %d)", t.name, k, id, t.rows)
		}
	}
	t.sortEntries(g.IDs)
	t.vals = slices.Grow(t.vals, n*d)[:0]
	prev := -1
	for _, k := range t.perm {
		id, src := g.IDs[k], g.Values[k*d:(k+1)*d]
		if id != prev {
			t.ids = append(t.ids, id)
			t.vals = append(t.vals, src...)
			prev = id
			continue
		}
		dst := t.vals[len(t.vals)-d:]
		for j, x := range src {
			dst[j] += x
		}
	}
	t.sum, t.finite = 0, true
	if clamp > 0 {
		t.finite = clampTo(t.vals, T(clamp))
	}
	if norm {
		for lo := 0; lo < len(t.vals); lo += ChunkElems {
			s, ok := kernels.SumSquares(t.vals[lo:min(lo+ChunkElems, len(t.vals))])
			t.sum += s
			t.finite = t.finite && ok
		}
	}
	return nil
}

// sortEntries sets t.perm to the entries' indices sorted by id, equal ids
// in input order: a least-significant-digit radix sort (stable) over the
// bits of the largest possible id, 8 bits a pass — linear in the number
// of entries, so a step's cost follows the touched rows, not log factors
// or the table.
func (t *sparseTensor[T]) sortEntries(ids []int) {
	n := len(ids)
	t.perm = slices.Grow(t.perm[:0], n)[:n]
	t.tmp = slices.Grow(t.tmp[:0], n)[:n]
	src, dst := t.perm, t.tmp
	for k := range src {
		src[k] = k
	}
	nb := bits.Len(uint(max(t.rows-1, 0)))
	if n == 0 {
		nb = 0
	}
	for shift := 0; shift < nb; shift += 8 {
		var cnt [257]int
		for _, k := range src {
			cnt[(ids[k]>>shift)&255+1]++
		}
		if cnt[(ids[src[0]]>>shift)&255+1] == n {
			continue // every entry has this digit: the pass would not move any
		}
		for i := 1; i < len(cnt); i++ {
			cnt[i] += cnt[i-1]
		}
		for _, k := range src {
			d := (ids[k] >> shift) & 255
			dst[cnt[d]] = k
			cnt[d]++
		}
		src, dst = dst, src
	}
	t.perm, t.tmp = src, dst
}

// touchRows is the number of rows whose memory updateRows touches before
// updating them.
const touchRows = 16

// updateRows: see sparser. The rows of a large table are scattered far
// beyond the caches and the TLB's reach: updated one after another, each
// row's loads would wait for memory in turn. So the rows are updated in
// blocks of touchRows, and a block's cache lines (parameters and state)
// are first read all at once — independent loads the CPU overlaps — which
// brings them into the cache for the kernels that follow.
func (t *sparseTensor[T]) updateRows(a, b int) float64 {
	var sink T
	for lo := a; lo < b; lo += touchRows {
		hi := min(lo+touchRows, b)
		if t.rows*t.dim > touchMinElems {
			sink += t.touch(lo, hi)
		}
		t.update1(lo, hi)
	}
	return float64(sink)
}

// touchMinElems is the table size from which updateRows touches rows
// first: below it the table is likely in cache.
const touchMinElems = 1 << 18

// touch reads one element of every cache line of coalesced rows [a, b) of
// the parameters and the element-wise state, and returns their sum, which
// the caller keeps so that the reads are not optimized away.
func (t *sparseTensor[T]) touch(a, b int) T {
	d := t.dim
	line := 64 / int(unsafe.Sizeof(T(0)))
	var x T
	for u := a; u < b; u++ {
		lo := t.ids[u] * d
		for j := lo; j < lo+d; j += line {
			x += t.p[j]
		}
		if t.rule != sparseRowAdagrad {
			for _, s := range t.state {
				if s != nil {
					for j := lo; j < lo+d; j += line {
						x += s[j]
					}
				}
			}
		}
	}
	return x
}

// update1 updates the table at coalesced rows [a, b). Rows of consecutive
// ids are contiguous in the table and in the coalesced gradient, so each
// run of them is one kernel call (the kernels are elementwise: the same
// bits as a call per row), which matters for narrow tables such as biases.
func (t *sparseTensor[T]) update1(a, b int) {
	if t.rule == sparseRowAdagrad {
		t.rowAdagrad(a, b)
		return
	}
	d := t.dim
	p := t.p
	for u := a; u < b; {
		w := u + 1
		for w < b && t.ids[w] == t.ids[w-1]+1 {
			w++
		}
		lo, hi := t.ids[u]*d, (t.ids[w-1]+1)*d
		g := t.vals[u*d : w*d]
		switch t.rule {
		case sparseAdam:
			kernels.AdamStep(p[lo:hi], g, t.state[0][lo:hi], t.state[1][lo:hi], t.adam)
		case sparseAMSGrad:
			kernels.AMSGradStep(p[lo:hi], g, t.state[0][lo:hi], t.state[1][lo:hi], t.state[2][lo:hi], t.adam)
		case sparseSGD:
			kernels.SGDStep(p[lo:hi], g, t.sgd)
		case sparseAdagrad:
			kernels.AdagradStep(p[lo:hi], g, t.state[0][lo:hi], t.ada)
		}
		u = w
	}
}

// rowAdagrad is the row-wise Adagrad update of coalesced rows [a, b); see
// Embedding for the formula.
func (t *sparseTensor[T]) rowAdagrad(a, b int) {
	d := t.dim
	acc := t.state[0]
	s := t.ada
	gs, l2 := T(s.GradScale), T(s.L2)
	stepSize, eps := s.StepSize, s.Eps
	var rs kernels.SGDScalars // local: items of one step run on several goroutines
	rs.GradScale = 1
	for u := a; u < b; u++ {
		r := t.ids[u]
		th := t.p[r*d : (r+1)*d]
		g := t.vals[u*d : (u+1)*d]
		if gs != 1 {
			kernels.Scale(gs, g)
		}
		if l2 != 0 {
			kernels.Axpy(l2, th, g)
		}
		ss, _ := kernels.SumSquares(g)
		acc[r] += T(ss / float64(d))
		rs.LR = float64(T(stepSize / (math.Sqrt(float64(acc[r])) + eps)))
		kernels.SGDStep(th, g, &rs)
	}
}
