package optim

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/kernels"
	"gonum.org/v1/gonum/mat"
)

// muonShapes are the Muon tests' matrices: wide, tall, square, one with a
// side of 1 and one that spans two chunks of the update; odd indices are
// float64.
var muonShapes = [][2]int{{6, 10}, {12, 5}, {9, 9}, {1, 17}, {300, 250}, {33, 2}}

// newMuonModel returns the matrices of muonShapes (when big, else the ones
// under 64×64, where gonum's Gemm runs serially and allocates nothing) and
// two 1-D tensors for the AdamW group, with the groups of a Muon optimizer
// with hyper-parameters v.
func newMuonModel(seed uint64, big bool, v Values) (*model, []Group) {
	var sizes []int
	var shapes [][2]int
	for _, s := range muonShapes {
		if big || (s[0] < 64 && s[1] < 64) {
			shapes = append(shapes, s)
			sizes = append(sizes, s[0]*s[1])
		}
	}
	sizes = append(sizes, 7, 33)
	m := newModel(seed, sizes, true)
	for i, s := range shapes {
		m.params[i].Shape = []int{s[0], s[1]}
	}
	n := len(shapes)
	aw := Values{"adamw": 1, "weight_decay": 0.01}
	return m, []Group{{Params: m.params[:n], Hyper: v, Schedule: halving{}}, {Params: m.params[n:], Hyper: aw}}
}

// refMuon is an independent float64 evaluation of torch.optim.Muon's step
// on one rows×cols matrix (written from torch's _single_tensor_muon and
// _zeropower_via_newtonschulz, with the transposition of tall matrices,
// naive matrix products and the update divided by its norm), with every
// product converted so that no fused multiply-add forms on arm64.
func refMuon(theta, buf, g []float64, rows, cols int, h kernels.Muon, lr float64) {
	mu := h.Momentum
	u := make([]float64, len(g))
	for i := range g {
		buf[i] += float64((1 - mu) * (g[i] - buf[i]))
		u[i] = buf[i]
		if h.Nesterov {
			u[i] = g[i] + float64(mu*(buf[i]-g[i]))
		}
	}
	m, n := rows, cols
	x := u
	if rows > cols { // torch orthogonalizes the transpose of a tall matrix
		m, n = cols, rows
		x = make([]float64, len(u))
		for i := range rows {
			for j := range cols {
				x[j*rows+i] = u[i*cols+j]
			}
		}
	}
	ss := 0.0
	for _, e := range x {
		ss += float64(e * e)
	}
	d := max(math.Sqrt(ss), h.Eps)
	for i := range x {
		x[i] /= d
	}
	mul := func(a, b []float64, p, q, r int) []float64 { // p×q times q×r
		c := make([]float64, p*r)
		for i := range p {
			for j := range r {
				s := 0.0
				for k := range q {
					s += float64(a[i*q+k] * b[k*r+j])
				}
				c[i*r+j] = s
			}
		}
		return c
	}
	for range int(h.NSSteps) {
		xt := make([]float64, len(x))
		for i := range m {
			for j := range n {
				xt[j*m+i] = x[i*n+j]
			}
		}
		a := mul(x, xt, m, n, m)
		aa := mul(a, a, m, m, m)
		b := make([]float64, m*m)
		for i := range b {
			b[i] = float64(kernels.NS5B*a[i]) + float64(kernels.NS5C*aa[i])
		}
		bx := mul(b, x, m, m, n)
		for i := range x {
			x[i] = float64(kernels.NS5A*x[i]) + bx[i]
		}
	}
	o := x
	if rows > cols {
		o = make([]float64, len(x))
		for i := range rows {
			for j := range cols {
				o[i*cols+j] = x[j*rows+i]
			}
		}
	}
	adj := lr * math.Sqrt(max(1, float64(rows)/float64(cols)))
	if h.MatchRMSAdamW {
		adj = lr * 0.2 * math.Sqrt(float64(max(rows, cols)))
	}
	for i := range theta {
		theta[i] = float64(theta[i]*(1-float64(lr*h.WeightDecay))) - float64(adj*o[i])
	}
}

// muonBound is the largest deviation of the optimizer's Muon matrices from
// refMuon after 6 steps, in units of the step's adjusted learning rate
// (the size of one update element is about lr'/sqrt(min(rows, cols))), by
// element size: the measured maximum with headroom. float64 differs only
// by the order of the sums (BLAS against naive loops, the norm);
// float32 by float32 storage and arithmetic in the iterations.
var muonBound = map[int]float64{4: 4e-3, 8: 1e-9} // measured 1.44e-3, 5.5e-14

// TestMuonFormula: for each variant, 6 steps of the optimizer's Muon
// matrices (with the default BLAS and with gonum) against refMuon, and
// the AdamW group against kernels.AdamStep bit for bit.
func TestMuonFormula(t *testing.T) {
	variants := map[string]Values{
		"defaults": nil,
		"plain":    {"nesterov": 0, "momentum": 0.9, "weight_decay": 0, "ns_steps": 3},
		"rms":      {"match_rms_adamw": 1, "lr": 0.01, "eps": 1e-3},
	}
	for vn, v := range variants {
		for _, impl := range blas.Available() {
			t.Run(vn+"/"+impl.Name(), func(t *testing.T) {
				m, gs := newMuonModel(31, vn == "defaults" && impl == blas.OpenBLAS, v) // the 300×250 matrix once (with cgo)
				o, err := New("muon", gs, WithBLAS(impl), WithWorkers(2))
				if err != nil {
					t.Fatal(err)
				}
				defer o.Close()
				h := o.TypedHyper(0).(kernels.Muon)
				ha := o.TypedHyper(1).(kernels.Muon)
				n := len(gs[0].Params)
				ref := m.clone()
				bufs := make([][]float64, n)
				theta := make([][]float64, n)
				for i, p := range ref.params[:n] {
					theta[i] = toF64(p)
					bufs[i] = make([]float64, len(theta[i]))
				}
				ast32, ast64 := map[int][][]float32{}, map[int][][]float64{}
				for k, p := range ref.params[n:] {
					ast32[k] = [][]float32{make([]float32, len(p.Data32)), make([]float32, len(p.Data32))}
					ast64[k] = [][]float64{make([]float64, len(p.Data64)), make([]float64, len(p.Data64))}
				}
				worst := map[int]float64{}
				for step := 1; step <= 6; step++ {
					m.fillGrads(1)
					ref.fillGrads(1)
					if _, err := o.Step(); err != nil {
						t.Fatal(err)
					}
					lr := halving{}.LR(step-1, h.LR)
					for i, p := range ref.params[:n] {
						s := p.Shape
						refMuon(theta[i], bufs[i], toF64Grad(p), s[0], s[1], h, lr)
						size := 8
						if p.Data32 != nil {
							size = 4
						}
						adj := lr * math.Sqrt(max(1, float64(s[0])/float64(s[1])))
						if h.MatchRMSAdamW {
							adj = lr * 0.2 * math.Sqrt(float64(max(s[0], s[1])))
						}
						got := toF64(m.params[i])
						for j := range got {
							d := math.Abs(got[j]-theta[i][j]) / adj
							worst[size] = max(worst[size], d)
							if d > muonBound[size] {
								t.Fatalf("step %d %s[%d] (%v): got %v, formula %v (%.3g lr')", step, p.Name, j, s, got[j], theta[i][j], d)
							}
						}
						if size == 4 { // float32 storage between steps
							for j := range theta[i] {
								theta[i][j], bufs[i][j] = float64(float32(theta[i][j])), float64(float32(bufs[i][j]))
							}
						}
						copy(theta[i], got) // follow the optimizer: the bound is per step
						copyBuf(o, p.Name, bufs[i])
					}
					s := ha.AdamWHyper().Scalars(step, 1)
					for k, p := range ref.params[n:] {
						if p.Data32 != nil {
							kernels.AdamStep(p.Data32, p.Grad32, ast32[k][0], ast32[k][1], &s)
						} else {
							kernels.AdamStep(p.Data64, p.Grad64, ast64[k][0], ast64[k][1], &s)
						}
					}
					sameBits(t, fmt.Sprintf("step %d adamw group", step), &model{params: m.params[n:]}, &model{params: ref.params[n:]})
				}
				t.Logf("max deviation from the float64 formula, in units of lr': float32 %.3g, float64 %.3g", worst[4], worst[8])
			})
		}
	}
}

func toF64(p Param) []float64 {
	if p.Data64 != nil {
		return append([]float64(nil), p.Data64...)
	}
	out := make([]float64, len(p.Data32))
	for i, x := range p.Data32 {
		out[i] = float64(x)
	}
	return out
}

func toF64Grad(p Param) []float64 {
	if p.Grad64 != nil {
		return append([]float64(nil), p.Grad64...)
	}
	out := make([]float64, len(p.Grad32))
	for i, x := range p.Grad32 {
		out[i] = float64(x)
	}
	return out
}

// copyBuf copies the optimizer's momentum buffer of parameter name into b.
func copyBuf(o *Optimizer, name string, b []float64) {
	switch s := o.c.tensors[o.c.byName[name]].stateOf(0).(type) {
	case []float32:
		for i, x := range s {
			b[i] = float64(x)
		}
	case []float64:
		copy(b, s)
	}
}

// TestMuonDeterminism: with every BLAS implementation, parameters and
// state after 5 steps (clipping, a loss scaler) are bit-identical for 1,
// 2, 3 and 8 workers, and a run saved after 3 steps and resumed (other
// initial values, other worker count) ends bit-identical to an
// uninterrupted one.
func TestMuonDeterminism(t *testing.T) {
	opts := []Option{WithLossScaler(DefaultScaler()), WithClipNorm(10), WithClipValue(2)}
	for _, impl := range blas.Available() {
		t.Run(impl.Name(), func(t *testing.T) {
			run := func(seed uint64, workers, steps int, load string) (*model, *Optimizer) {
				m, gs := newMuonModel(seed, impl == blas.OpenBLAS, Values{"weight_decay": 0.05}) // gonum: TestMuonBLASReproducibility
				o, err := New("muon", gs, append(opts, WithWorkers(workers), WithBLAS(impl))...)
				if err != nil {
					t.Fatal(err)
				}
				if load != "" {
					if err := o.Load(load); err != nil {
						t.Fatal(err)
					}
				}
				for it := o.StepCount(); it < steps; it++ {
					m.rng = rand.New(rand.NewPCG(uint64(it), 7))
					m.fillGrads(o.Scale())
					if _, err := o.Step(); err != nil {
						t.Fatal(err)
					}
				}
				return m, o
			}
			base, ob := run(1, 1, 5, "")
			want := checkpointBytes(t, ob)
			for _, w := range []int{2, 3, 8} {
				m, o := run(1, w, 5, "")
				sameBits(t, fmt.Sprintf("workers=%d", w), base, m)
				if string(checkpointBytes(t, o)) != string(want) {
					t.Fatalf("workers=%d: state differs", w)
				}
				o.Close()
			}
			_, first := run(1, 2, 3, "")
			path := filepath.Join(t.TempDir(), "ck")
			if err := first.Save(path); err != nil {
				t.Fatal(err)
			}
			m, resumed := run(99, 3, 5, path)
			sameBits(t, "resumed vs uninterrupted", base, m)
			sameState(t, ob, resumed)
		})
	}
}

// TestMuonZeroAllocs: a Muon step allocates nothing, with every BLAS (the
// matrices under 64×64: gonum's Gemm starts goroutines above).
func TestMuonZeroAllocs(t *testing.T) {
	for _, impl := range blas.Available() {
		for _, workers := range []int{1, 3} {
			m, gs := newMuonModel(5, impl != blas.Gonum, nil)
			o, err := New("muon", gs, WithBLAS(impl), WithWorkers(workers), WithClipValue(1), WithLossScaler(DefaultScaler()))
			if err != nil {
				t.Fatal(err)
			}
			m.fillGrads(1)
			if _, err := o.Step(); err != nil {
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(5, func() { o.Step() }); n != 0 {
				t.Errorf("%s workers=%d: %v allocations per step", impl.Name(), workers, n)
			}
			o.Close()
		}
	}
}

func TestMuonShapes(t *testing.T) {
	p := Float32("bias", make([]float32, 4), make([]float32, 4))
	_, err := New("muon", []Group{{Params: []Param{p}}})
	if err == nil || !strings.Contains(err.Error(), `parameter "bias" has shape [4]: Muon updates 2-D matrices`) {
		t.Fatalf("1-D parameter in a Muon group: %v", err)
	}
	o, err := New("muon", []Group{{Params: []Param{p}, Hyper: Values{"adamw": 1}}})
	if err != nil {
		t.Fatal(err)
	}
	q := Float32("w", make([]float32, 6), make([]float32, 6))
	q.Shape = []int{2, 3}
	r := Float32("x", make([]float32, 6), make([]float32, 6))
	if err := o.AddGroup(Group{Params: []Param{r}}); err == nil || !strings.Contains(err.Error(), "AddGroup: optim: muon: parameter \"x\"") {
		t.Fatalf("AddGroup of a 1-D Muon parameter: %v", err)
	}
	if o.NumGroups() != 1 {
		t.Fatal("a refused AddGroup changed the groups")
	}
	if err := o.AddGroup(Group{Params: []Param{q}}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Step(); err != nil {
		t.Fatal(err)
	}
	if got := o.c.tensors[1].stateOf(0); got == nil {
		t.Fatal("the added Muon matrix has no momentum buffer")
	}
}

// TestNewtonSchulzBand checks the orthogonalization against gonum's SVD:
// for matrices with known singular values σ (log-spaced over [1e-3, 1]),
// the singular values of the NS5 output are the quintic map p(s) = a·s +
// b·s³ + c·s⁵ applied five times to s = σ/‖G‖_F (sorted; float64 within
// 1e-9, float32 within 1e-4), in float32 and float64 and with every BLAS.
// It then measures the band of that map: for inputs s in [0.002, 1] the
// outputs lie in [0.6818, 1.2024], and for s in [0.01, 1] in [0.6818,
// 1.1344] (README: Muon); smaller singular values grow by about a = 3.4445
// per step without reaching the band.
func TestNewtonSchulzBand(t *testing.T) {
	ns5 := func(s float64) float64 {
		for range 5 {
			s2 := float64(s * s)
			s = float64(kernels.NS5A*s) + float64(float64(kernels.NS5B*s)*s2) + float64(float64(float64(kernels.NS5C*s)*s2)*s2)
		}
		return s
	}
	rng := rand.New(rand.NewPCG(3, 3))
	tol := map[bool]float64{false: 1e-9, true: 1e-4}
	worst := map[bool]float64{}
	for _, impl := range blas.Available() {
		for _, sh := range [][2]int{{32, 64}, {64, 32}, {48, 48}, {100, 20}} {
			r, c := sh[0], sh[1]
			k := min(r, c)
			u := randOrtho(rng, r, k)
			v := randOrtho(rng, c, k)
			sv := make([]float64, k)
			for i := range sv {
				sv[i] = math.Pow(1e-3, float64(i)/float64(k-1))
			}
			g := mat.NewDense(r, c, nil)
			g.Product(u, mat.NewDiagDense(k, sv), v.T())
			fro := mat.Norm(g, 2) // Frobenius
			want := make([]float64, k)
			for i, x := range sv {
				want[i] = ns5(x / fro)
			}
			slices.SortFunc(want, func(a, b float64) int { return cmp.Compare(b, a) })
			for _, f32 := range []bool{false, true} {
				var out []float64
				if f32 {
					w := newNewtonSchulz[float32](impl, r, c)
					for i, x := range g.RawMatrix().Data {
						w.x[i] = float32(x)
					}
					for _, x := range w.run(5, 1e-7) {
						out = append(out, float64(x))
					}
				} else {
					w := newNewtonSchulz[float64](impl, r, c)
					copy(w.x, g.RawMatrix().Data)
					out = append(out, w.run(5, 1e-7)...)
				}
				var svd mat.SVD
				if !svd.Factorize(mat.NewDense(r, c, out), mat.SVDNone) {
					t.Fatal("SVD failed")
				}
				for i, s := range svd.Values(nil) {
					d := math.Abs(s - want[i])
					worst[f32] = max(worst[f32], d)
					if d > tol[f32] {
						t.Errorf("%s %dx%d f32=%v: singular value %d is %.6f, the map gives %.6f", impl.Name(), r, c, f32, i, s, want[i])
					}
				}
			}
		}
	}
	t.Logf("singular values against the map: float64 within %.3g, float32 within %.3g", worst[false], worst[true])
	for _, b := range []struct{ floor, lo, hi float64 }{{0.002, 0.6818, 1.2024}, {0.01, 0.6818, 1.1344}} {
		lo, hi := math.Inf(1), 0.0
		const n = 200000
		for i := range n + 1 {
			y := ns5(math.Pow(b.floor, 1-float64(i)/n))
			lo, hi = min(lo, y), max(hi, y)
		}
		if math.Abs(lo-b.lo) > 1e-4 || math.Abs(hi-b.hi) > 1e-4 {
			t.Errorf("inputs in [%v, 1]: outputs in [%.5f, %.5f], documented [%v, %v]", b.floor, lo, hi, b.lo, b.hi)
		}
		t.Logf("NS5 band for σ/‖G‖_F in [%v, 1]: [%.4f, %.4f]", b.floor, lo, hi)
	}
}

// randOrtho returns an n×k matrix with orthonormal columns.
func randOrtho(rng *rand.Rand, n, k int) *mat.Dense {
	a := mat.NewDense(n, k, nil)
	for i := range n {
		for j := range k {
			a.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(a)
	var q mat.Dense
	qr.QTo(&q)
	return mat.DenseCopyOf(q.Slice(0, n, 0, k))
}

// TestMuonBLASReproducibility pins what Muon's orthogonalization
// guarantees across BLAS settings (README: Muon): with gonum, the same bits
// for any GOMAXPROCS (its Gemm gives each output block to one goroutine);
// with OpenBLAS, the same bits for the same thread count, run after run.
// Across OpenBLAS thread counts the bits may differ: logged here (on the
// machine the README's figures come from, a 777×333 matrix differed in 97%
// of its elements between 1 and 2 threads, 300×250, 1024×512 and 512×1024
// did not).
func TestMuonBLASReproducibility(t *testing.T) {
	ns := func(impl *blas.Impl, r, c int) []float32 {
		rng := rand.New(rand.NewPCG(1, 1))
		w := newNewtonSchulz[float32](impl, r, c)
		for i := range w.x {
			w.x[i] = float32(rng.NormFloat64())
		}
		return append([]float32(nil), w.run(5, 1e-7)...)
	}
	differ := func(a, b []float32) int {
		n := 0
		for i := range a {
			if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
				n++
			}
		}
		return n
	}
	prev := runtime.GOMAXPROCS(1)
	a := ns(blas.Gonum, 300, 250)
	runtime.GOMAXPROCS(2)
	b := ns(blas.Gonum, 300, 250)
	runtime.GOMAXPROCS(prev)
	if n := differ(a, b); n != 0 {
		t.Errorf("gonum: %d elements differ between GOMAXPROCS 1 and 2", n)
	}
	if blas.OpenBLAS == nil {
		return
	}
	defer blas.SetThreads(blas.Threads())
	for _, th := range []int{1, 2} {
		blas.SetThreads(th)
		if n := differ(ns(blas.OpenBLAS, 777, 333), ns(blas.OpenBLAS, 777, 333)); n != 0 {
			t.Errorf("openblas, %d threads: %d elements differ between two runs", th, n)
		}
	}
	blas.SetThreads(1)
	one := ns(blas.OpenBLAS, 777, 333)
	blas.SetThreads(2)
	two := ns(blas.OpenBLAS, 777, 333)
	t.Logf("openblas 777×333: %d of %d elements differ between 1 and 2 threads", differ(one, two), len(one))
}

// TestMuonConcurrentOpenBLAS: with OpenBLAS at two threads and matrices
// whose bits depend on OpenBLAS's thread count (777×333 and its
// transpose), several orthogonalizations running at once (workers 2 and
// 3: one per matrix) give the bits of one at a time: OpenBLAS partitions a
// product by its configured thread count, not by the threads free when the
// call arrives. Built without OpenBLAS, the same with gonum on smaller
// matrices (still above 64×64, where its Gemm starts goroutines).
func TestMuonConcurrentOpenBLAS(t *testing.T) {
	impl, shapes := blas.OpenBLAS, [][]int{{777, 333}, {333, 777}, {500, 301}}
	if impl == nil {
		impl, shapes = blas.Gonum, [][]int{{130, 70}, {70, 130}, {99, 99}}
	}
	defer blas.SetThreads(blas.Threads())
	blas.SetThreads(2)
	var ref []byte
	for _, w := range []int{1, 2, 3, 2} {
		var sizes []int
		for _, s := range shapes {
			sizes = append(sizes, s[0]*s[1])
		}
		m := newModel(3, sizes, false)
		for i, s := range shapes {
			m.params[i].Shape = s
		}
		o, err := New("muon", []Group{{Params: m.params}}, WithWorkers(w), WithBLAS(impl))
		if err != nil {
			t.Fatal(err)
		}
		for it := range 2 {
			m.rng = rand.New(rand.NewPCG(uint64(it), 7))
			m.fillGrads(1)
			if _, err := o.Step(); err != nil {
				t.Fatal(err)
			}
		}
		b := checkpointBytes(t, o)
		o.Close()
		if ref == nil {
			ref = b
		} else if string(b) != string(ref) {
			t.Errorf("workers=%d: state differs from workers=1", w)
		}
	}
}
