package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adamConfigs are the hyper-parameters, steps and gradient scales every
// Adam and AMSGrad implementation is compared on: the defaults, coupled and
// decoupled weight decay, maximize, and the extremes.
var adamConfigs = []struct {
	h     Adam
	t     int
	scale float64
}{
	{DefaultAdam(), 1, 1},
	{Adam{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.1}, 7, 1},
	{DefaultAdamW(), 3, 1},
	{Adam{LR: 3e-4, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.05, Decoupled: true, Maximize: true}, 100, 0.5},
	{Adam{LR: 0, Beta1: 0, Beta2: 0, Eps: 1e-8}, 1, 0},
	{Adam{LR: 1, Beta1: 0.999999, Beta2: 0.999999, Eps: 1e-30, WeightDecay: 1e-40}, 2, 1e30},
}

var sgdConfigs = []SGD{
	{LR: 0.1},
	{LR: 0.01, WeightDecay: 1e-4},
	{LR: 0.5, Maximize: true},
	{LR: 0.1, Momentum: 0.9},
	{LR: 0.1, Momentum: 0.9, Dampening: 0.3, WeightDecay: 0.01},
	{LR: 0.05, Momentum: 0.9, Nesterov: true},
	{LR: 0.05, Momentum: 0.99, Nesterov: true, WeightDecay: 0.1, Maximize: true},
	{LR: 0, Momentum: 0, Dampening: 1},
}

// fills gives each kernel both ordinary inputs and inputs with specials.
var fills = []bool{false, true}

func TestAdam(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testAdam(t, AdamStep[float32], AMSGradStep[float32]) })
	t.Run("f64", func(t *testing.T) { testAdam(t, AdamStep[float64], AMSGradStep[float64]) })
}

func testAdam[T float](t *testing.T, adam func(p, g, m, v []T, s *AdamScalars), ams func(p, g, m, v, vmax []T, s *AdamScalars)) {
	for ci, c := range adamConfigs {
		for _, special := range fills {
			s := c.h.Scalars(c.t, c.scale)
			t.Run(fmt.Sprintf("adam/config=%d/special=%v", ci, special), func(t *testing.T) {
				compareImpls(t, 4, moments[T](4, special), func(a [][]T) []float64 {
					adam(a[0], a[1], a[2], a[3], &s)
					return nil
				})
			})
			t.Run(fmt.Sprintf("amsgrad/config=%d/special=%v", ci, special), func(t *testing.T) {
				compareImpls(t, 5, moments[T](5, special), func(a [][]T) []float64 {
					ams(a[0], a[1], a[2], a[3], a[4], &s)
					return nil
				})
			})
		}
	}
}

// moments fills k slices; from the fourth on (second moments) the values are
// non-negative unless special.
func moments[T float](k int, special bool) func(r *rand.Rand, n int) [][]T {
	return func(r *rand.Rand, n int) [][]T {
		s := slices[T](k, special)(r, n)
		if !special {
			for j := 3; j < k; j++ {
				for i, x := range s[j] {
					s[j][i] = T(math.Abs(float64(x)))
				}
			}
		}
		return s
	}
}

func TestSGD(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testSGD(t, SGDStep[float32], MomentumStep[float32]) })
	t.Run("f64", func(t *testing.T) { testSGD(t, SGDStep[float64], MomentumStep[float64]) })
}

func testSGD[T float](t *testing.T, sgd func(p, g []T, s *SGDScalars), mom func(p, g, b []T, s *SGDScalars, first bool)) {
	for ci, h := range sgdConfigs {
		require.NoError(t, h.Validate())
		s := h.Scalars([]float64{1.5, 1}[ci%2]) // 1: the kernels' unit-scale variants
		for _, special := range fills {
			t.Run(fmt.Sprintf("sgd/config=%d/special=%v", ci, special), func(t *testing.T) {
				compareImpls(t, 2, slices[T](2, special), func(a [][]T) []float64 {
					sgd(a[0], a[1], &s)
					return nil
				})
			})
			for _, first := range []bool{true, false} {
				t.Run(fmt.Sprintf("momentum/config=%d/special=%v/first=%v", ci, special, first), func(t *testing.T) {
					compareImpls(t, 3, slices[T](3, special), func(a [][]T) []float64 {
						mom(a[0], a[1], a[2], &s, first)
						return nil
					})
				})
			}
		}
	}
}

func TestReductions(t *testing.T) {
	t.Run("f32", func(t *testing.T) {
		testReductions(t, SumSquares[float32], Dot[float32], Axpy[float32], Scale[float32])
	})
	t.Run("f64", func(t *testing.T) {
		testReductions(t, SumSquares[float64], Dot[float64], Axpy[float64], Scale[float64])
	})
}

func testReductions[T float](t *testing.T, sumsq func([]T) (float64, bool), dot func(x, y []T) T, axpy func(a T, x, y []T), scale func(a T, x []T)) {
	scalars := []T{0, T(math.Copysign(0, -1)), 1, -2.5, 1e-3, T(math.Inf(1)), T(math.NaN()), 1e30}
	for _, special := range fills {
		t.Run(fmt.Sprintf("sumsquares/special=%v", special), func(t *testing.T) {
			compareImpls(t, 1, slices[T](1, special), func(a [][]T) []float64 {
				s, fin := sumsq(a[0])
				return []float64{s, b2f(fin)}
			})
		})
		t.Run(fmt.Sprintf("dot/special=%v", special), func(t *testing.T) {
			compareImpls(t, 2, slices[T](2, special), func(a [][]T) []float64 {
				return []float64{float64(dot(a[0], a[1]))}
			})
		})
		for _, a := range scalars {
			t.Run(fmt.Sprintf("axpy/special=%v/a=%v", special, a), func(t *testing.T) {
				compareImpls(t, 2, slices[T](2, special), func(s [][]T) []float64 {
					axpy(a, s[0], s[1])
					return nil
				})
			})
			t.Run(fmt.Sprintf("scale/special=%v/a=%v", special, a), func(t *testing.T) {
				compareImpls(t, 1, slices[T](1, special), func(s [][]T) []float64 {
					scale(a, s[0])
					return nil
				})
			})
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestSumSquaresFinite checks the finite flag against its definition for
// every implementation, including float64 values whose squares overflow.
func TestSumSquaresFinite(t *testing.T) {
	for _, name := range Available() {
		withImpl(t, name, func() {
			for n := 1; n < 40; n++ {
				for pos := 0; pos < n; pos++ {
					for _, bad := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
						x := make([]float64, n)
						x32 := make([]float32, n)
						for i := range x {
							x[i], x32[i] = 1e300, 1
						}
						_, fin := SumSquares[float64](x)
						assert.True(t, fin, "impl=%s n=%d: huge finite values reported non-finite", name, n)
						x[pos], x32[pos] = bad, float32(bad)
						sum, fin := SumSquares[float64](x)
						assert.False(t, fin, "impl=%s n=%d pos=%d %v: sum %v", name, n, pos, bad, sum)
						_, fin = SumSquares[float32](x32)
						assert.False(t, fin, "impl=%s n=%d pos=%d %v (f32)", name, n, pos, bad)
					}
				}
			}
		})
	}
}
