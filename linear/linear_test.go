package linear_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/linear"
)

type problem struct {
	obj     linear.Objective
	n, k, m int
	x, y    []float64
}

func newProblem(r *rand.Rand, obj linear.Objective, m, n, k int) problem {
	p := problem{obj: obj, n: n, k: k, m: m, x: make([]float64, m*n), y: make([]float64, m)}
	for i := range p.x {
		p.x[i] = r.NormFloat64()
	}
	for i := range p.y {
		switch obj {
		case linear.SquaredError:
			p.y[i] = 3 * r.NormFloat64()
		case linear.BinaryCrossEntropy:
			p.y[i] = float64(r.IntN(2))
		default:
			p.y[i] = float64(r.IntN(k))
		}
	}
	return p
}

func (p problem) model(opt linear.Options) *linear.Model[float64] {
	switch p.obj {
	case linear.SquaredError:
		return linear.NewLeastSquares[float64](p.n, opt)
	case linear.BinaryCrossEntropy:
		return linear.NewLogistic[float64](p.n, opt)
	}
	return linear.NewSoftmax[float64](p.n, p.k, opt)
}

func randTheta(r *rand.Rand, np int) []float64 {
	th := make([]float64, np)
	for i := range th {
		th[i] = 0.5 * r.NormFloat64()
	}
	return th
}

// gonumLossGrad is the straightforward computation with gonum's mat: Z = X·W
// + 1bᵀ as one product, the loss and R row by row, G = XᵀR/m + λW.
func gonumLossGrad(p problem, theta []float64, intercept bool, l2 float64) (float64, []float64) {
	n, k, m := p.n, p.k, p.m
	X := mat.NewDense(m, n, p.x)
	W := mat.NewDense(n, k, append([]float64(nil), theta[:n*k]...))
	var Z mat.Dense
	Z.Mul(X, W)
	var loss float64
	R := mat.NewDense(m, k, nil)
	for i := 0; i < m; i++ {
		z := make([]float64, k)
		for c := 0; c < k; c++ {
			z[c] = Z.At(i, c)
			if intercept {
				z[c] += theta[n*k+c]
			}
		}
		y := p.y[i]
		switch p.obj {
		case linear.SquaredError:
			loss += (z[0] - y) * (z[0] - y) / 2
			R.Set(i, 0, z[0]-y)
		case linear.BinaryCrossEntropy:
			s := 1 / (1 + math.Exp(-z[0]))
			loss += -(y*math.Log(s) + (1-y)*math.Log(1-s))
			R.Set(i, 0, s-y)
		default:
			var den float64
			for _, v := range z {
				den += math.Exp(v)
			}
			for c := range z {
				pc := math.Exp(z[c]) / den
				if c == int(y) {
					loss -= math.Log(pc)
					pc--
				}
				R.Set(i, c, pc)
			}
		}
	}
	var G mat.Dense
	G.Mul(X.T(), R)
	G.Scale(1/float64(m), &G)
	grad := make([]float64, len(theta))
	for j := 0; j < n; j++ {
		for c := 0; c < k; c++ {
			grad[j*k+c] = G.At(j, c) + l2*theta[j*k+c]
			loss += l2 / 2 * theta[j*k+c] * theta[j*k+c] * float64(m)
		}
	}
	if intercept {
		for c := 0; c < k; c++ {
			grad[n*k+c] = mat.Sum(R.ColView(c)) / float64(m)
		}
	}
	return loss / float64(m), grad
}

var objectives = []struct {
	obj  linear.Objective
	k    int
	name string
}{
	{linear.SquaredError, 1, "least-squares"},
	{linear.BinaryCrossEntropy, 1, "logistic"},
	{linear.CrossEntropy, 4, "softmax"},
}

func TestGradientFiniteDifferences(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, o := range objectives {
		for _, intercept := range []bool{false, true} {
			for _, l2 := range []float64{0, 0.3} {
				p := newProblem(r, o.obj, 53, 7, o.k)
				for _, impl := range blas.Available() {
					// Block sizes 16 (4 blocks, a short last one) and all rows.
					for _, br := range []int{16, linear.NoBlocking} {
						md := p.model(linear.Options{Intercept: intercept, L2: l2, BLAS: impl, BlockRows: br})
						theta := randTheta(r, md.NumParams())
						grad := make([]float64, md.NumParams())
						loss := md.LossGrad(theta, p.x, p.y, grad)
						require.Equal(t, loss, md.Loss(theta, p.x, p.y))
						const h = 1e-5
						for j := range theta {
							old := theta[j]
							theta[j] = old + h
							lp := md.Loss(theta, p.x, p.y)
							theta[j] = old - h
							lm := md.Loss(theta, p.x, p.y)
							theta[j] = old
							fd := (lp - lm) / (2 * h)
							// Central differences: O(h²) truncation + O(ε/h) rounding.
							require.InDelta(t, fd, grad[j], 1e-7*(1+math.Abs(fd)),
								"%s intercept=%t l2=%v %s block=%d θ[%d]", o.name, intercept, l2, impl, br, j)
						}
					}
				}
			}
		}
	}
}

func TestAgainstGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, o := range objectives {
		for _, intercept := range []bool{false, true} {
			p := newProblem(r, o.obj, 301, 13, o.k)
			l2 := 0.05
			for _, impl := range blas.Available() {
				md := p.model(linear.Options{Intercept: intercept, L2: l2, BLAS: impl, BlockRows: 64})
				theta := randTheta(r, md.NumParams())
				wantLoss, wantGrad := gonumLossGrad(p, theta, intercept, l2)
				grad := make([]float64, md.NumParams())
				loss := md.LossGrad(theta, p.x, p.y, grad)
				assert.InDelta(t, wantLoss, loss, 1e-12*(1+math.Abs(wantLoss)), "%s %s", o.name, impl)
				assert.InDeltaSlice(t, wantGrad, grad, 1e-12, "%s %s", o.name, impl)
			}
		}
	}
}

// The two backends, and blocked versus whole-matrix processing, sum in
// different orders: they agree to rounding. For the gradient entry j the
// difference is bounded by 2·(m+n)·ε·(1/m)·Σᵢ|xᵢⱼ·rᵢ| (two sums of length at
// most m and n, each within n·ε of the exact value), which the test checks
// with the bound's Σ|xᵢⱼ|·max|r| over-estimate.
func TestBackendsAndBlockingAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, o := range objectives {
		p := newProblem(r, o.obj, 1000, 33, o.k)
		var ref []float64
		var refLoss float64
		for _, impl := range blas.Available() {
			for _, br := range []int{0, 7, 100, linear.NoBlocking} {
				md := p.model(linear.Options{Intercept: true, BLAS: impl, BlockRows: br})
				theta := randTheta(r, md.NumParams())
				if ref != nil {
					theta = randTheta(rand.New(rand.NewPCG(7, 8)), md.NumParams())
				} else {
					theta = randTheta(rand.New(rand.NewPCG(7, 8)), md.NumParams())
				}
				grad := make([]float64, md.NumParams())
				loss := md.LossGrad(theta, p.x, p.y, grad)
				if ref == nil {
					ref, refLoss = grad, loss
					continue
				}
				const eps = 0x1p-53
				bound := 2 * float64(p.m+p.n) * eps * 10 // |x|·|r| ≲ 10 here
				assert.InDelta(t, refLoss, loss, 2*float64(p.m+p.n)*eps*(1+math.Abs(refLoss)), "%s %s block %d", o.name, impl, br)
				assert.InDeltaSlice(t, ref, grad, bound, "%s %s block %d", o.name, impl, br)
			}
		}
	}
}

func TestFloat32MatchesFloat64(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, o := range objectives {
		p := newProblem(r, o.obj, 500, 20, o.k)
		x32, y32 := make([]float32, len(p.x)), make([]float32, len(p.y))
		for i, v := range p.x {
			x32[i] = float32(v)
		}
		for i, v := range p.y {
			y32[i] = float32(v)
		}
		for _, impl := range blas.Available() {
			opt := linear.Options{Intercept: true, L2: 0.01, BLAS: impl}
			md64 := p.model(opt)
			var md32 *linear.Model[float32]
			switch o.obj {
			case linear.SquaredError:
				md32 = linear.NewLeastSquares[float32](p.n, opt)
			case linear.BinaryCrossEntropy:
				md32 = linear.NewLogistic[float32](p.n, opt)
			default:
				md32 = linear.NewSoftmax[float32](p.n, p.k, opt)
			}
			theta := randTheta(r, md64.NumParams())
			th32 := make([]float32, len(theta))
			for i, v := range theta {
				theta[i] = float64(float32(v))
				th32[i] = float32(v)
			}
			g64 := make([]float64, len(theta))
			g32 := make([]float32, len(theta))
			l64 := md64.LossGrad(theta, p.x, p.y, g64)
			l32 := md32.LossGrad(th32, x32, y32, g32)
			assert.InDelta(t, l64, float64(l32), 1e-5*(1+math.Abs(l64)), "%s %s", o.name, impl)
			for i := range g64 {
				assert.InDelta(t, g64[i], float64(g32[i]), 1e-5, "%s %s θ[%d]", o.name, impl, i)
			}
		}
	}
}

func TestPredictAndClassify(t *testing.T) {
	// Two rows, two features, a hand-computed θ.
	x := []float64{1, 2, -1, 0.5}
	ls := linear.NewLeastSquares[float64](2, linear.Options{Intercept: true})
	th := []float64{0.5, -1, 2} // w = (0.5, −1), b = 2
	out := make([]float64, 2)
	ls.Predict(th, x, out)
	assert.Equal(t, []float64{0.5, 1}, out)

	lg := linear.NewLogistic[float64](2, linear.Options{Intercept: true})
	lg.Predict(th, x, out)
	assert.InDeltaSlice(t, []float64{1 / (1 + math.Exp(-0.5)), 1 / (1 + math.Exp(-1))}, out, 1e-16)
	labels := make([]int, 2)
	lg.Classify([]float64{1, 0, -0.5}, x, out, labels)
	assert.Equal(t, []int{1, 0}, labels) // logits 0.5, −1.5

	sm := linear.NewSoftmax[float64](2, 3, linear.Options{})
	w := []float64{1, 0, 0, 0, 1, 0} // class 0 ← feature 0, class 1 ← feature 1, class 2 ← 0
	probs := make([]float64, 6)
	sm.Predict(w, x, probs)
	assert.InDelta(t, 1.0, probs[0]+probs[1]+probs[2], 1e-15)
	logits := make([]float64, 6)
	sm.Logits(w, x, logits)
	assert.Equal(t, []float64{1, 2, 0, -1, 0.5, 0}, logits)
	sm.Classify(w, x, logits, labels)
	assert.Equal(t, []int{1, 1}, labels)
	assert.PanicsWithValue(t, "linear: Classify: squared-error model has no classes", func() { ls.Classify(th, x, out, labels) })
}

func TestPanicMessages(t *testing.T) {
	md := linear.NewSoftmax[float64](3, 4, linear.Options{Intercept: true})
	assert.Equal(t, 16, md.NumParams())
	theta := make([]float64, 16)
	x := make([]float64, 6)
	y := make([]float64, 2)
	g := make([]float64, 16)
	cases := []struct {
		msg string
		f   func()
	}{
		{"linear: LossGrad: len(theta) = 15, want 16 (features 3, outputs 4, intercept true)", func() { md.LossGrad(theta[:15], x, y, g) }},
		{"linear: LossGrad: len(X) = 5, want len(y)·features = 2·3 = 6", func() { md.LossGrad(theta, x[:5], y, g) }},
		{"linear: LossGrad: len(grad) = 17, want 16", func() { md.LossGrad(theta, x, y, make([]float64, 17)) }},
		{"linear: Loss: len(X) = 6, want len(y)·features = 3·3 = 9", func() { md.Loss(theta, x, make([]float64, 3)) }},
		{"linear: Predict: len(X) = 5 is not a multiple of features = 3", func() { md.Predict(theta, x[:5], make([]float64, 8)) }},
		{"linear: Predict: len(out) = 7, want rows·outputs = 2·4 = 8", func() { md.Predict(theta, x, make([]float64, 7)) }},
		{"linear: Check: len(X) = 6, want len(y)·features = 1·3 = 3", func() { _ = md.Check(x, y[:1]) }},
		{"linear: NewSoftmax: classes = 1, want ≥ 2", func() { linear.NewSoftmax[float32](3, 1, linear.Options{}) }},
		{"linear: NewLogistic: features = 0, outputs = 1, want ≥ 1", func() { linear.NewLogistic[float32](0, linear.Options{}) }},
		{"linear: NewRidge: L2 = -1, want finite ≥ 0", func() { linear.NewRidge[float64](2, -1, linear.Options{}) }},
		{"linear: NewLeastSquares: BlockRows = -2, want ≥ 0", func() { linear.NewLeastSquares[float64](2, linear.Options{BlockRows: -2}) }},
	}
	for _, c := range cases {
		assert.PanicsWithValue(t, c.msg, c.f)
	}
}

func TestNonFinite(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for _, o := range objectives {
		p := newProblem(r, o.obj, 40, 5, o.k)
		md := p.model(linear.Options{Intercept: true, BlockRows: 16})
		require.NoError(t, md.Check(p.x, p.y))
		theta := randTheta(r, md.NumParams())
		g := make([]float64, md.NumParams())
		for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
			x := append([]float64(nil), p.x...)
			x[37] = bad // row 7, column 2
			err := md.Check(x, p.y)
			require.ErrorIs(t, err, linear.ErrNonFinite, o.name)
			assert.Contains(t, err.Error(), fmt.Sprintf("X[37] (row 7, column 2) = %v", bad))
			l := md.LossGrad(theta, x, p.y, g)
			assert.False(t, isFinite(l), "%s: loss %v with X containing %v", o.name, l, bad)
			assert.False(t, isFinite(g[2*p.k]), "%s: gradient with X containing %v", o.name, bad)

			y := append([]float64(nil), p.y...)
			y[21] = bad
			err = md.Check(p.x, y)
			require.ErrorIs(t, err, linear.ErrNonFinite)
			assert.Contains(t, err.Error(), fmt.Sprintf("y[21] = %v", bad))
			l = md.LossGrad(theta, p.x, y, g)
			assert.False(t, isFinite(l), "%s: loss %v with y containing %v", o.name, l, bad)
			assert.False(t, isFinite(g[len(g)-1]), "%s: gradient with y containing %v", o.name, bad)
		}
		if o.obj != linear.SquaredError {
			y := append([]float64(nil), p.y...)
			y[3] = 1.5
			require.ErrorIs(t, md.Check(p.x, y), linear.ErrLabel)
		}
	}
	sm := linear.NewSoftmax[float32](1, 3, linear.Options{})
	err := sm.Check([]float32{0, 0}, []float32{2, 3})
	require.ErrorIs(t, err, linear.ErrLabel)
	assert.EqualError(t, err, "linear: y[1] = 3, want a class index in [0, 3): invalid label")
	assert.True(t, math.IsNaN(float64(sm.Loss(make([]float32, 3), []float32{0, 0}, []float32{2, 3}))))
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func TestLargeLogitsStayFinite(t *testing.T) {
	// Logits of ±1000: a naive log(σ(z)) would give −Inf; the stable forms
	// give the exact loss.
	lg := linear.NewLogistic[float64](1, linear.Options{})
	assert.Equal(t, 1000.0, lg.Loss([]float64{1000}, []float64{1}, []float64{0}))
	assert.Equal(t, 0.0, lg.Loss([]float64{1000}, []float64{1}, []float64{1}))
	sm := linear.NewSoftmax[float32](1, 2, linear.Options{})
	assert.Equal(t, float32(2000), sm.Loss([]float32{1000, -1000}, []float32{1}, []float32{1}))
}

func TestEmptyAndAccessors(t *testing.T) {
	md := linear.NewRidge[float64](2, 0.5, linear.Options{Intercept: true})
	g := make([]float64, 3)
	assert.Equal(t, 0.25*(1+4), md.LossGrad([]float64{1, 2, 3}, nil, nil, g))
	assert.Equal(t, []float64{0.5, 1, 0}, g)
	assert.Equal(t, linear.SquaredError, md.Objective())
	assert.Equal(t, "squared-error", md.Objective().String())
	assert.Equal(t, 2, md.Features())
	assert.Equal(t, 1, md.Outputs())
	assert.Equal(t, linear.DefaultBlockBytes/16, md.BlockRows())
	assert.Equal(t, blas.Default(), md.BLAS())
}

func TestNoAllocsAfterWarmup(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, o := range objectives {
		p := newProblem(r, o.obj, 300, 200, o.k) // big enough for gonum's Dgemm to go parallel
		for _, impl := range blas.Available() {
			md := p.model(linear.Options{Intercept: true, L2: 0.1, BLAS: impl, BlockRows: 64})
			theta := randTheta(r, md.NumParams())
			g := make([]float64, md.NumParams())
			out := make([]float64, p.m*p.k)
			md.LossGrad(theta, p.x, p.y, g)
			allocs := testing.AllocsPerRun(10, func() {
				md.LossGrad(theta, p.x, p.y, g)
				md.Loss(theta, p.x, p.y)
				md.Predict(theta, p.x, out)
			})
			assert.Zero(t, allocs, "%s %s", o.name, impl)
		}
	}
}
