package linear

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// LossGradInput's input gradient matches central differences of Loss in
// every input, for every objective, with and without intercept and
// penalty; its parameter gradient is LossGrad's.
func TestLossGradInput(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const m, n = 7, 5
	for _, c := range []struct {
		name string
		md   *Model[float64]
		y    func(i int) float64
	}{
		{"leastsq", NewLeastSquares[float64](n, Options{Intercept: true, L2: 0.1}), func(int) float64 { return r.NormFloat64() }},
		{"logistic", NewLogistic[float64](n, Options{}), func(int) float64 { return float64(r.IntN(2)) }},
		{"softmax", NewSoftmax[float64](n, 4, Options{Intercept: true, BlockRows: 3}), func(int) float64 { return float64(r.IntN(4)) }},
	} {
		theta := make([]float64, c.md.NumParams())
		for i := range theta {
			theta[i] = r.NormFloat64()
		}
		x, y := make([]float64, m*n), make([]float64, m)
		for i := range x {
			x[i] = r.NormFloat64()
		}
		for i := range y {
			y[i] = c.y(i)
		}
		g1, g2, dx := make([]float64, len(theta)), make([]float64, len(theta)), make([]float64, len(x))
		l1 := c.md.LossGrad(theta, x, y, g1)
		l2 := c.md.LossGradInput(theta, x, y, g2, dx)
		if l1 != l2 || !slices.Equal(g1, g2) {
			t.Fatalf("%s: LossGradInput's loss or parameter gradient differs from LossGrad's", c.name)
		}
		for i := range x {
			const h = 1e-6
			xi := x[i]
			x[i] = xi + h
			up := c.md.Loss(theta, x, y)
			x[i] = xi - h
			down := c.md.Loss(theta, x, y)
			x[i] = xi
			fd := (up - down) / (2 * h)
			if math.Abs(fd-dx[i]) > 1e-6*math.Max(1, math.Abs(fd)) {
				t.Errorf("%s: d loss / d x[%d] = %v, central difference %v", c.name, i, dx[i], fd)
			}
		}
	}
}
