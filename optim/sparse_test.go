package optim

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// sparseCase is an optimizer configuration the sparse tests run.
type sparseCase struct {
	name    string
	alg     string
	hyper   Values
	rowWise bool
}

var sparseCases = []sparseCase{
	{"adam", "adam", nil, false},
	{"adam-l2", "adam", Values{"weight_decay": 0.01}, false},
	{"adamw", "adamw", nil, false},
	{"amsgrad", "amsgrad", Values{"maximize": 1}, false},
	{"sgd", "sgd", Values{"lr": 0.1, "weight_decay": 0.001}, false},
	{"adagrad", "adagrad", Values{"lr": 0.1, "initial_accumulator_value": 0.1, "lr_decay": 0.01}, false},
	{"rowwise-adagrad", "adagrad", Values{"lr": 0.1, "initial_accumulator_value": 0.1}, true},
	{"rowwise-adagrad-l2", "adagrad", Values{"lr": 0.1, "weight_decay": 0.01, "maximize": 1}, true},
}

// fill returns n values of a fixed pseudo-random pattern in [−1, 1).
func fill[T kernels.Float](r *rand.Rand, n int) []T {
	x := make([]T, n)
	for i := range x {
		x[i] = T(r.Float64()*2 - 1)
	}
	return x
}

// entries returns n gradient entries over rows, about dup of them repeating
// an earlier id, in random order.
func entries[T kernels.Float](r *rand.Rand, rows, dim, n int, dup float64) *RowGrad[T] {
	g := &RowGrad[T]{}
	for k := 0; k < n; k++ {
		id := r.IntN(rows)
		if k > 0 && r.Float64() < dup {
			id = g.IDs[r.IntN(k)]
		}
		g.Add(id, fill[T](r, dim))
	}
	return g
}

// sparseModel is a dense parameter "w" and an embedding "emb" of one group.
type sparseModel[T kernels.Float] struct {
	w, wg []T
	emb   []T
	grad  *RowGrad[T]
	o     *Optimizer
}

func newSparseModel[T kernels.Float](t testing.TB, c sparseCase, rows, dim int, grad *RowGrad[T], opts ...Option) *sparseModel[T] {
	r := rand.New(rand.NewPCG(1, 2))
	m := &sparseModel[T]{w: fill[T](r, 37), wg: fill[T](r, 37), emb: fill[T](r, rows*dim), grad: grad}
	var p Param
	var e Embedding
	switch w := any(m.w).(type) {
	case []float32:
		p = Float32("w", w, any(m.wg).([]float32))
		e = Embedding32("emb", rows, dim, any(m.emb).([]float32), any(grad).(*RowGrad[float32]))
	case []float64:
		p = Float64("w", w, any(m.wg).([]float64))
		e = Embedding64("emb", rows, dim, any(m.emb).([]float64), any(grad).(*RowGrad[float64]))
	}
	e.RowWise = c.rowWise
	o, err := New(c.alg, []Group{{Params: []Param{p}, Embeddings: []Embedding{e}, Hyper: c.hyper}}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	m.o = o
	return m
}

// snapshot returns the optimizer's checkpoint bytes: every parameter, every
// state tensor, the step count and the hyper-parameters.
func snapshot(t testing.TB, o *Optimizer) []byte {
	var b bytes.Buffer
	if _, err := o.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stableShuffle shuffles g's entries, keeping the relative order of the
// entries of each id (the order their rows are summed in).
func stableShuffle[T kernels.Float](r *rand.Rand, g *RowGrad[T], dim int) *RowGrad[T] {
	n := len(g.IDs)
	perm := r.Perm(n)
	out := &RowGrad[T]{IDs: make([]int, n), Values: make([]T, n*dim)}
	for k, src := range perm {
		out.IDs[k] = g.IDs[src]
	}
	// Positions of each id in the new order get its rows in input order.
	next := map[int][]int{}
	for k, id := range g.IDs {
		next[id] = append(next[id], k)
	}
	for k, id := range out.IDs {
		src := next[id][0]
		next[id] = next[id][1:]
		copy(out.Values[k*dim:(k+1)*dim], g.Values[src*dim:(src+1)*dim])
	}
	return out
}

// TestSparseCoalesceDeterminism: shuffled entries (equal ids keeping their
// order) and 1, 2, 3 and 8 workers give the same bits,
// with clipping by norm and a loss scaler in the step.
func TestSparseCoalesceDeterminism(t *testing.T) {
	const rows, dim, n = 20000, 7, 8000
	for _, c := range sparseCases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			base := entries[float32](r, rows, dim, n, 0.3)
			var want []byte
			var wantNorm float64
			for trial, workers := range []int{1, 2, 3, 8, 2} {
				g := stableShuffle(r, base, dim)
				m := newSparseModel(t, c, rows, dim, g, WithWorkers(workers), WithClipNorm(1), WithLossScaler(DefaultScaler()))
				var info StepInfo
				for range 3 {
					s := float32(m.o.Scale())
					for i := range m.wg {
						m.wg[i] *= s
					}
					for i := range g.Values {
						g.Values[i] *= s
					}
					var err error
					if info, err = m.o.Step(); err != nil || info.Skipped {
						t.Fatal(err, info)
					}
					for i := range m.wg {
						m.wg[i] /= s
					}
					for i := range g.Values {
						g.Values[i] /= s
					}
				}
				got := snapshot(t, m.o)
				m.o.Close()
				if trial == 0 {
					want, wantNorm = got, info.GradNorm
					if len(m.o.c.sp.items) < 3 {
						t.Fatalf("only %d sparse items: the workers are not exercised", len(m.o.c.sp.items))
					}
					continue
				}
				if !bytes.Equal(got, want) || info.GradNorm != wantNorm {
					t.Fatalf("workers=%d (trial %d): state or norm (%v, want %v) differ", workers, trial, info.GradNorm, wantNorm)
				}
			}
		})
	}
}

// refCoalesce sums the rows of equal ids in input order.
func refCoalesce[T kernels.Float](g *RowGrad[T], dim int) map[int][]T {
	out := map[int][]T{}
	for k, id := range g.IDs {
		src := g.Values[k*dim : (k+1)*dim]
		if dst, ok := out[id]; ok {
			for j := range dst {
				dst[j] += src[j]
			}
		} else {
			out[id] = append([]T(nil), src...)
		}
	}
	return out
}

// TestSparseSort checks the radix sort against a stable comparison sort,
// for ids of up to 62 bits (a table that large is never allocated here).
func TestSparseSort(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, rows := range []int{1, 2, 255, 256, 257, 1 << 16, 1<<16 + 1, 1 << 40, 1 << 62} {
		for _, n := range []int{0, 1, 2, 100, 3000} {
			st := &sparseTensor[float32]{rows: rows}
			ids := make([]int, n)
			for k := range ids {
				ids[k] = r.IntN(rows)
				if k > 0 && r.IntN(3) == 0 {
					ids[k] = ids[r.IntN(k)]
				}
			}
			st.sortEntries(ids)
			want := make([]int, n)
			for k := range want {
				want[k] = k
			}
			sort.SliceStable(want, func(i, j int) bool { return ids[want[i]] < ids[want[j]] })
			if !slices.Equal(st.perm, want) {
				t.Fatalf("rows %d, n %d: order %v, want %v", rows, n, st.perm, want)
			}
		}
	}
}

// TestSparseCoalesce checks the coalesced rows against a map-based
// reference: ids increasing, each row the input-order sum of its entries.
func TestSparseCoalesce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, dim := range []int{1, 3, 16} {
		g := entries[float64](r, 50, dim, 300, 0.5)
		m := newSparseModel(t, sparseCases[0], 50, dim, g)
		st := m.o.c.sp.ts[0].(*sparseTensor[float64])
		if err := st.coalesce(0, true); err != nil {
			t.Fatal(err)
		}
		ref := refCoalesce(g, dim)
		if len(st.ids) != len(ref) {
			t.Fatalf("dim %d: %d coalesced rows, want %d", dim, len(st.ids), len(ref))
		}
		sum := 0.0
		for u, id := range st.ids {
			if u > 0 && id <= st.ids[u-1] {
				t.Fatalf("ids not increasing: %v", st.ids)
			}
			for j, x := range ref[id] {
				if st.vals[u*dim+j] != x {
					t.Fatalf("dim %d row %d[%d] = %v, want %v", dim, id, j, st.vals[u*dim+j], x)
				}
				sum += x * x
			}
		}
		if got, _ := st.norm(); math.Abs(got-sum) > 1e-12*sum {
			t.Fatalf("sum of squares %v, want %v", got, sum)
		}
	}
}

// TestSparseEqualsDense: with every row touched once (in shuffled order),
// every sparse update but row-wise Adagrad is the dense step bit for bit —
// parameters, state, clipping norm — in float32 and float64, with clipping
// by norm and by value.
func TestSparseEqualsDense(t *testing.T) {
	testSparseEqualsDense[float32](t)
	testSparseEqualsDense[float64](t)
}

func testSparseEqualsDense[T kernels.Float](t *testing.T) {
	const rows, dim = 300, 13
	for _, c := range sparseCases {
		if c.rowWise {
			continue
		}
		t.Run(fmt.Sprintf("%s/%T", c.name, T(0)), func(t *testing.T) {
			r := rand.New(rand.NewPCG(7, 8))
			g := &RowGrad[T]{}
			m := newSparseModel(t, c, rows, dim, g, WithClipNorm(5), WithClipValue(0.9), WithWorkers(2))
			// The dense twin: the same values, the table as a dense parameter.
			w := append([]T(nil), m.w...)
			wg := append([]T(nil), m.wg...)
			table := append([]T(nil), m.emb...)
			tg := make([]T, rows*dim)
			var ps []Param
			switch w := any(w).(type) {
			case []float32:
				ps = []Param{Float32("w", w, any(wg).([]float32)), {Name: "emb", Data32: any(table).([]float32), Grad32: any(tg).([]float32), Shape: []int{rows, dim}}}
			case []float64:
				ps = []Param{Float64("w", w, any(wg).([]float64)), {Name: "emb", Data64: any(table).([]float64), Grad64: any(tg).([]float64), Shape: []int{rows, dim}}}
			}
			d, err := New(c.alg, []Group{{Params: ps, Hyper: c.hyper}}, WithClipNorm(5), WithClipValue(0.9), WithWorkers(3))
			if err != nil {
				t.Fatal(err)
			}
			for step := range 4 {
				full := fill[T](r, rows*dim)
				copy(tg, full)
				g.Reset()
				for _, id := range r.Perm(rows) {
					g.Add(id, full[id*dim:(id+1)*dim])
				}
				for i := range wg {
					wg[i] = T(r.Float64() - 0.5)
					m.wg[i] = wg[i]
				}
				is, err := m.o.Step()
				if err != nil {
					t.Fatal(err)
				}
				id, err := d.Step()
				if err != nil {
					t.Fatal(err)
				}
				if is.GradNorm != id.GradNorm || is.ClipCoef != id.ClipCoef || is.ClipCoef == 1 {
					t.Fatalf("step %d: norm %v coef %v, dense %v %v (want equal, clipping)", step, is.GradNorm, is.ClipCoef, id.GradNorm, id.ClipCoef)
				}
			}
			if !bytes.Equal(snapshot(t, m.o), snapshot(t, d)) {
				t.Fatal("sparse and dense checkpoints differ")
			}
		})
	}
}

// TestSparseRowWiseAdagrad checks row-wise Adagrad against the formula of
// Embedding's doc, written out with plain arithmetic (the one reduction by
// kernels.SumSquares, the canonical order).
func TestSparseRowWiseAdagrad(t *testing.T) {
	testRowWise[float32](t)
	testRowWise[float64](t)
}

func testRowWise[T kernels.Float](t *testing.T) {
	const rows, dim = 40, 19
	for _, c := range sparseCases {
		if !c.rowWise {
			continue
		}
		t.Run(fmt.Sprintf("%s/%T", c.name, T(0)), func(t *testing.T) {
			r := rand.New(rand.NewPCG(9, 10))
			g := &RowGrad[T]{}
			m := newSparseModel(t, c, rows, dim, g, WithClipNorm(2))
			h := m.o.TypedHyper(0).(kernels.Adagrad)
			table := append([]T(nil), m.emb...)
			acc := make([]T, rows)
			for i := range acc {
				acc[i] = T(h.InitialAccumulatorValue)
			}
			for step := 1; step <= 5; step++ {
				*g = *entries[T](r, rows, dim, 30, 0.3)
				info, err := m.o.Step()
				if err != nil {
					t.Fatal(err)
				}
				// The dense parameter's gradient is part of the norm.
				s := h.Scalars(step, info.ClipCoef)
				gs, l2 := T(s.GradScale), T(s.L2)
				for id, row := range refCoalesce(g, dim) {
					th := table[id*dim : (id+1)*dim]
					for j := range row {
						if gs != 1 {
							row[j] = row[j] * gs
						}
						if l2 != 0 {
							row[j] += T(th[j] * l2)
						}
					}
					ss, _ := kernels.SumSquares(row)
					acc[id] += T(ss / dim)
					mu := T(s.StepSize / (math.Sqrt(float64(acc[id])) + s.Eps))
					for j := range row {
						th[j] -= T(mu * row[j])
					}
				}
			}
			st := m.o.c.sp.ts[0].(*sparseTensor[T])
			for i := range table {
				if table[i] != m.emb[i] {
					t.Fatalf("θ[%d] = %v, want %v", i, m.emb[i], table[i])
				}
			}
			for i := range acc {
				if acc[i] != st.state[0][i] {
					t.Fatalf("sum[%d] = %v, want %v", i, st.state[0][i], acc[i])
				}
			}
		})
	}
}

// TestSparseUntouchedRows: rows no step touched keep their data and state
// bit for bit; touched rows change.
func TestSparseUntouchedRows(t *testing.T) {
	const rows, dim = 500, 8
	for _, c := range sparseCases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, 12))
			g := &RowGrad[float32]{}
			m := newSparseModel(t, c, rows, dim, g)
			st := m.o.c.sp.ts[0].(*sparseTensor[float32])
			before := append([]float32(nil), m.emb...)
			var states [][]float32
			for _, s := range st.state {
				states = append(states, append([]float32(nil), s...))
			}
			touched := map[int]bool{}
			for range 4 {
				*g = *entries[float32](r, rows/5, dim, 40, 0.2) // ids < 100 only
				for _, id := range g.IDs {
					touched[id] = true
				}
				if _, err := m.o.Step(); err != nil {
					t.Fatal(err)
				}
			}
			for id := 0; id < rows; id++ {
				same := true
				for j := id * dim; j < (id+1)*dim; j++ {
					if math.Float32bits(m.emb[j]) != math.Float32bits(before[j]) {
						same = false
					}
				}
				if same == touched[id] {
					t.Fatalf("row %d touched=%v but unchanged=%v", id, touched[id], same)
				}
				for si, s := range st.state {
					if s == nil {
						continue
					}
					lo, hi := id*dim, (id+1)*dim
					if c.rowWise {
						lo, hi = id, id+1
					}
					for j := lo; j < hi; j++ {
						if !touched[id] && math.Float32bits(s[j]) != math.Float32bits(states[si][j]) {
							t.Fatalf("untouched row %d: state %d changed", id, si)
						}
					}
				}
			}
		})
	}
}

// TestSparseBadIDs: an id < 0 or ≥ rows, or a values slice of the wrong
// length, returns an error naming it and changes nothing.
func TestSparseBadIDs(t *testing.T) {
	const rows, dim = 30, 4
	for _, bad := range []int{-1, -1 << 40, rows, rows + 7} {
		for _, c := range sparseCases {
			r := rand.New(rand.NewPCG(13, 14))
			g := entries[float32](r, rows, dim, 20, 0.2)
			m := newSparseModel(t, c, rows, dim, g, WithClipNorm(1))
			if _, err := m.o.Step(); err != nil {
				t.Fatal(err)
			}
			want := snapshot(t, m.o)
			wg := append([]float32(nil), m.wg...)
			g.IDs[11] = bad
			vals := append([]float32(nil), g.Values...)
			_, err := m.o.Step()
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("row id %d,", bad)) || !strings.Contains(err.Error(), `"emb"`) {
				t.Fatalf("%s: id %d: error %v, want one naming the id and the embedding", c.name, bad, err)
			}
			if !bytes.Equal(snapshot(t, m.o), want) || !slicesEqual(wg, m.wg) || !slicesEqual(vals, g.Values) || m.o.StepCount() != 1 {
				t.Fatalf("%s: id %d: a failed step changed something", c.name, bad)
			}
		}
	}
	g := entries[float64](rand.New(rand.NewPCG(1, 1)), rows, dim, 5, 0)
	m := newSparseModel(t, sparseCases[0], rows, dim, g)
	want := snapshot(t, m.o)
	g.Values = g.Values[:len(g.Values)-1]
	if _, err := m.o.Step(); err == nil || !strings.Contains(err.Error(), "5 ids and 19 values") {
		t.Fatalf("short values: error %v", err)
	}
	if !bytes.Equal(snapshot(t, m.o), want) {
		t.Fatal("a failed step changed something")
	}
}

func slicesEqual[T kernels.Float](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

// TestSparseNonFinite: a NaN in a sparse gradient is caught by the loss
// scaler (step skipped, nothing changed) and by the finite check.
func TestSparseNonFinite(t *testing.T) {
	const rows, dim = 30, 4
	r := rand.New(rand.NewPCG(15, 16))
	g := entries[float32](r, rows, dim, 10, 0.2)
	m := newSparseModel(t, sparseCases[0], rows, dim, g, WithLossScaler(DefaultScaler()))
	want := snapshot(t, m.o)
	g.Values[7] = float32(math.Inf(1))
	info, err := m.o.Step()
	if err != nil || !info.Skipped || info.Scale >= DefaultScaler().InitScale {
		t.Fatalf("info %+v, err %v: want a skipped step and a smaller scale", info, err)
	}
	// Only the scale has changed.
	m.o.c.scaler.scale = DefaultScaler().InitScale
	m.o.c.scaler.tracker = 0
	if !bytes.Equal(snapshot(t, m.o), want) {
		t.Fatal("a skipped step changed parameters or state")
	}
	f := newSparseModel(t, sparseCases[0], rows, dim, g, WithFiniteCheck())
	if _, err := f.o.Step(); err != ErrNonFinite {
		t.Fatalf("finite check: %v, want ErrNonFinite", err)
	}
}

// TestSparseConfig: what New refuses.
func TestSparseConfig(t *testing.T) {
	data := make([]float32, 12)
	grad := &RowGrad[float32]{}
	dense := Float32("w", make([]float32, 3), make([]float32, 3))
	cases := []struct {
		alg   string
		hyper Values
		ps    []Param
		e     Embedding
		want  string
	}{
		{"lion", nil, nil, Embedding32("e", 3, 4, data, grad), "lion has no sparse update"},
		{"rmsprop", nil, nil, Embedding32("e", 3, 4, data, grad), "rmsprop has no sparse update"},
		{"momentum", nil, nil, Embedding32("e", 3, 4, data, grad), "no momentum"},
		{"adam", nil, nil, Embedding{Name: "e", Rows: 3, Dim: 4, Data32: data, Grad32: grad, RowWise: true}, "RowWise"},
		{"adam", nil, nil, Embedding32("e", 4, 4, data, grad), "shape 4×4 has 16 elements, data has 12"},
		{"adam", nil, nil, Embedding32("e", 12, 0, data, grad), "bad shape"},
		{"adam", nil, nil, Embedding32("e", 3, 4, data, nil), "nil data or gradient"},
		{"adam", nil, nil, Embedding32("e.exp_avg", 3, 4, data, grad), "state suffix"},
		{"adam", nil, []Param{dense}, Embedding32("w", 3, 4, data, grad), "duplicate parameter name"},
		{"adam", nil, []Param{Float32("w", data[:3], make([]float32, 3))}, Embedding32("e", 3, 4, data, grad), "overlap"},
		{"adam", nil, nil, Embedding{Name: "e", Rows: 3, Dim: 4, Data32: data, Grad32: grad, Data64: make([]float64, 12)}, "both"},
	}
	for _, c := range cases {
		_, err := New(c.alg, []Group{{Params: c.ps, Embeddings: []Embedding{c.e}, Hyper: c.hyper}})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %+v: error %v, want %q", c.alg, c.e.Name, err, c.want)
		}
	}
	// Two embeddings may not share data either, and a group of embeddings
	// alone is fine.
	_, err := New("adam", []Group{{Embeddings: []Embedding{Embedding32("a", 2, 4, data[:8], grad), Embedding32("b", 2, 4, data[4:], grad)}}})
	if err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("overlapping embeddings: %v", err)
	}
	o, err := New("adam", []Group{{Embeddings: []Embedding{Embedding32("a", 3, 4, data, grad)}}})
	if err != nil {
		t.Fatal(err)
	}
	grad.Add(1, []float32{1, 2, 3, 4})
	if _, err := o.Step(); err != nil || data[4] == 0 || data[0] != 0 {
		t.Fatalf("embedding-only step: %v, data %v", err, data)
	}
	o.ZeroGrad()
	if grad.Len() != 0 {
		t.Fatal("ZeroGrad kept the sparse gradient")
	}
	before := append([]float32(nil), data...)
	if _, err := o.Step(); err != nil || !slicesEqual(before, data) {
		t.Fatalf("a step with no touched rows: %v, data %v, want %v", err, data, before)
	}
}

// TestSparseCheckpoint: a run saved and resumed is bit-identical to one
// that was not; row-wise state is its own tensor of shape [rows]; a
// checkpoint of the element-wise form is refused by the row-wise one,
// changing nothing.
func TestSparseCheckpoint(t *testing.T) {
	const rows, dim = 64, 5
	for _, c := range sparseCases {
		t.Run(c.name, func(t *testing.T) {
			run := func(m *sparseModel[float64], r *rand.Rand, steps int) {
				for range steps {
					*m.grad = *entries[float64](r, rows, dim, 16, 0.2)
					if _, err := m.o.Step(); err != nil {
						t.Fatal(err)
					}
				}
			}
			pcg := rand.NewPCG(17, 18)
			r := rand.New(pcg)
			a := newSparseModel(t, c, rows, dim, &RowGrad[float64]{})
			run(a, r, 3)
			ck := snapshot(t, a.o)
			pcg2 := *pcg
			r2 := rand.New(&pcg2)
			run(a, r, 3)
			b := newSparseModel(t, c, rows, dim, &RowGrad[float64]{})
			path := t.TempDir() + "/ck"
			if err := os.WriteFile(path, ck, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := b.o.Load(path); err != nil {
				t.Fatal(err)
			}
			run(b, r2, 3)
			if !bytes.Equal(snapshot(t, a.o), snapshot(t, b.o)) {
				t.Fatal("resumed run differs")
			}
			// Weights alone: the table is a parameter of the weights file.
			wpath := t.TempDir() + "/w"
			if err := b.o.SaveWeights(wpath); err != nil {
				t.Fatal(err)
			}
			ps := b.o.Params()
			dst := make([]Param, len(ps))
			for i, p := range ps {
				dst[i] = Param{Name: p.Name, Shape: p.Shape, Data64: make([]float64, len(p.Data64))}
			}
			if _, err := LoadWeights(wpath, dst); err != nil {
				t.Fatal(err)
			}
			for i := range ps {
				if !slices.Equal(ps[i].Data64, dst[i].Data64) {
					t.Fatalf("weights file: %s differs", ps[i].Name)
				}
			}
			f, err := ReadCheckpoint(bytes.NewReader(ck))
			if err != nil {
				t.Fatal(err)
			}
			st, ok := f.File.Tensor("emb.sum")
			if c.alg == "adagrad" && (!ok || (c.rowWise != (len(st.Shape) == 1 && st.Shape[0] == rows))) {
				t.Fatalf("emb.sum: %v", st)
			}
			// The other Adagrad form refuses the checkpoint.
			if c.alg == "adagrad" {
				o := c
				o.rowWise = !c.rowWise
				x := newSparseModel(t, o, rows, dim, &RowGrad[float64]{})
				before := snapshot(t, x.o)
				if err := x.o.Load(path); err == nil || !strings.Contains(err.Error(), "emb.sum") {
					t.Fatalf("loading the other form: %v", err)
				}
				if !bytes.Equal(before, snapshot(t, x.o)) {
					t.Fatal("a refused load changed something")
				}
			}
		})
	}
}

// TestSparseAllocs: a step with embeddings allocates nothing once the
// buffers have grown, with clipping, a loss scaler and several workers.
func TestSparseAllocs(t *testing.T) {
	const rows, dim = 5000, 16
	for _, c := range sparseCases {
		r := rand.New(rand.NewPCG(19, 20))
		g := &RowGrad[float32]{}
		m := newSparseModel(t, c, rows, dim, g, WithClipNorm(1), WithLossScaler(DefaultScaler()), WithWorkers(2))
		src := entries[float32](r, rows, dim, 2000, 0.1)
		refill := func() {
			g.Reset()
			for k, id := range src.IDs {
				row := g.Row((id*7+k)%rows, dim)
				copy(row, src.Values[k*dim:(k+1)*dim])
			}
		}
		refill()
		m.o.Step()
		if a := testing.AllocsPerRun(20, func() {
			refill()
			if _, err := m.o.Step(); err != nil {
				t.Fatal(err)
			}
		}); a != 0 {
			t.Errorf("%s: %v allocations per step", c.name, a)
		}
		m.o.Close()
	}
}

// TestMakeTable: the shape's elements, zeroed; bad shapes panic.
func TestMakeTable(t *testing.T) {
	x := MakeTable[float64](3<<20, 2)
	if len(x) != 6<<20 || x[0] != 0 || x[len(x)-1] != 0 {
		t.Fatalf("len %d", len(x))
	}
	for _, s := range [][2]int{{-1, 2}, {2, 0}, {math.MaxInt / 2, 3}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("MakeTable(%d, %d) did not panic", s[0], s[1])
				}
			}()
			MakeTable[float32](s[0], s[1])
		}()
	}
}

// TestSparseAdagradEqualsDense: without weight decay, element-wise sparse
// Adagrad equals the dense step whatever rows are touched (an untouched
// row's gradient is zero, which leaves its sum and θ unchanged), as
// Embedding's doc says.
func TestSparseAdagradEqualsDense(t *testing.T) {
	const rows, dim = 200, 6
	r := rand.New(rand.NewPCG(25, 26))
	c := sparseCase{"adagrad", "adagrad", Values{"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}, false}
	g := &RowGrad[float32]{}
	m := newSparseModel(t, c, rows, dim, g, WithClipNorm(3))
	w, wg := append([]float32(nil), m.w...), append([]float32(nil), m.wg...)
	table, tg := append([]float32(nil), m.emb...), make([]float32, rows*dim)
	d, err := New("adagrad", []Group{{Params: []Param{Float32("w", w, wg), {Name: "emb", Data32: table, Grad32: tg, Shape: []int{rows, dim}}}, Hyper: c.hyper}}, WithClipNorm(3))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		*g = *entries[float32](r, rows, dim, 40, 0.3)
		clear(tg)
		for id, row := range refCoalesce(g, dim) {
			copy(tg[id*dim:], row)
		}
		if _, err := m.o.Step(); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(snapshot(t, m.o), snapshot(t, d)) {
		t.Fatal("sparse and dense Adagrad differ")
	}
}
