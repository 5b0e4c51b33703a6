package linear_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
)

// descend runs full-batch gradient descent with a fixed step and returns θ.
func descend[T linear.Float](md *linear.Model[T], x, y []T, lr T, steps int) []T {
	theta := make([]T, md.NumParams())
	g := make([]T, md.NumParams())
	for s := 0; s < steps; s++ {
		md.LossGrad(theta, x, y, g)
		for i := range theta {
			theta[i] -= lr * g[i]
		}
	}
	return theta
}

func accuracy[T linear.Float](md *linear.Model[T], theta, x, y []T) float64 {
	m := len(y)
	labels := make([]int, m)
	md.Classify(theta, x, make([]T, m*md.Outputs()), labels)
	ok := 0
	for i, l := range labels {
		if T(l) == y[i] {
			ok++
		}
	}
	return float64(ok) / float64(m)
}

func standardized(t *testing.T, name string) *datasets.Dataset {
	d, err := datasets.Load(name)
	require.NoError(t, err)
	d.Standardize()
	return d
}

func TestFitBreastCancerLogistic(t *testing.T) {
	d := standardized(t, "breast_cancer")
	for _, impl := range blas.Available() {
		md := linear.NewLogistic[float64](d.Cols, linear.Options{Intercept: true, BLAS: impl})
		require.NoError(t, md.Check(d.X, d.Y))
		theta := descend(md, d.X, d.Y, 1, 300)
		acc := accuracy(md, theta, d.X, d.Y)
		t.Logf("%s: training accuracy %.4f, loss %.4f", impl, acc, md.Loss(theta, d.X, d.Y))
		assert.GreaterOrEqual(t, acc, 0.95)

		// float32 gets there too.
		x32, y32 := d.Float32()
		md32 := linear.NewLogistic[float32](d.Cols, linear.Options{Intercept: true, BLAS: impl})
		assert.GreaterOrEqual(t, accuracy(md32, descend(md32, x32, y32, 1, 300), x32, y32), 0.95)
	}
}

func TestFitSoftmax(t *testing.T) {
	for _, c := range []struct {
		name      string
		steps     int
		train     float64 // training accuracy at least
		test      float64 // held-out accuracy at least
		lr        float64
		l2        float64
		testShare float64
	}{
		{"iris", 500, 0.96, 0.86, 0.5, 0, 0.2}, // 27 of 30 held out
		{"wine", 300, 0.99, 0.95, 0.5, 0, 0.2},
		{"digits", 300, 0.97, 0.94, 0.5, 1e-3, 0.2},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := datasets.Load(c.name)
			require.NoError(t, err)
			train, test := d.Split(c.testShare, 1)
			mean, scale := train.Standardize()
			test.StandardizeWith(mean, scale)
			md := linear.NewSoftmax[float64](d.Cols, d.Classes, linear.Options{Intercept: true, L2: c.l2})
			require.NoError(t, md.Check(train.X, train.Y))
			theta := descend(md, train.X, train.Y, c.lr, c.steps)
			tr, te := accuracy(md, theta, train.X, train.Y), accuracy(md, theta, test.X, test.Y)
			t.Logf("%s (%s): train accuracy %.4f, test %.4f", c.name, md.BLAS(), tr, te)
			assert.GreaterOrEqual(t, tr, c.train)
			assert.GreaterOrEqual(t, te, c.test)
		})
	}
}

func TestFitDigitsFullSoftmax(t *testing.T) {
	// The brief's target: ≥ 0.95 training accuracy on all of digits.
	d := standardized(t, "digits")
	md := linear.NewSoftmax[float32](d.Cols, d.Classes, linear.Options{Intercept: true})
	x, y := d.Float32()
	theta := descend(md, x, y, 0.5, 200)
	acc := accuracy(md, theta, x, y)
	t.Logf("digits float32 (%s): training accuracy %.4f", md.BLAS(), acc)
	assert.GreaterOrEqual(t, acc, 0.95)
}

func r2[T linear.Float](pred, y []T) float64 {
	var mean float64
	for _, v := range y {
		mean += float64(v)
	}
	mean /= float64(len(y))
	var ssRes, ssTot float64
	for i, v := range y {
		ssRes += (float64(v) - float64(pred[i])) * (float64(v) - float64(pred[i]))
		ssTot += (float64(v) - mean) * (float64(v) - mean)
	}
	return 1 - ssRes/ssTot
}

func TestFitDiabetesLeastSquares(t *testing.T) {
	d := standardized(t, "diabetes")
	// Exact least squares through gonum (QR), for the best R² reachable.
	A := mat.NewDense(d.Rows, d.Cols+1, nil)
	for i := 0; i < d.Rows; i++ {
		for j := 0; j < d.Cols; j++ {
			A.Set(i, j, d.X[i*d.Cols+j])
		}
		A.Set(i, d.Cols, 1)
	}
	var sol mat.VecDense
	require.NoError(t, sol.SolveVec(A, mat.NewVecDense(d.Rows, d.Y)))
	exact := make([]float64, d.Rows)
	var pv mat.VecDense
	pv.MulVec(A, &sol)
	copy(exact, pv.RawVector().Data)
	best := r2(exact, d.Y)
	assert.InDelta(t, 0.5177, best, 1e-3, "scikit-learn's LinearRegression reaches R² = 0.5177 on all of diabetes")

	for _, impl := range blas.Available() {
		md := linear.NewLeastSquares[float64](d.Cols, linear.Options{Intercept: true, BLAS: impl})
		theta := descend(md, d.X, d.Y, 0.1, 2000)
		pred := make([]float64, d.Rows)
		md.Predict(theta, d.X, pred)
		got := r2(pred, d.Y)
		t.Logf("%s: R² %.4f by gradient descent, %.4f exact", impl, got, best)
		assert.GreaterOrEqual(t, got, best-0.01)
		assert.LessOrEqual(t, got, best+1e-9)

		// Ridge shrinks: R² a little lower, weights smaller.
		rd := linear.NewRidge[float64](d.Cols, 1, linear.Options{Intercept: true, BLAS: impl})
		thr := descend(rd, d.X, d.Y, 0.1, 500)
		rd.Predict(thr, d.X, pred)
		assert.Less(t, r2(pred, d.Y), got)
		assert.Less(t, norm(thr[:d.Cols]), norm(theta[:d.Cols]))
	}
}

func norm(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	return s
}
