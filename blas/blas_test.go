package blas_test

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-go/descent/blas"
)

func randSlice[T blas.Float](r *rand.Rand, n int) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = T(r.Float64()*2 - 1)
	}
	return s
}

func eps[T blas.Float]() float64 {
	var z T
	if _, ok := any(z).(float32); ok {
		return 0x1p-24
	}
	return 0x1p-53
}

// naiveGemv is the reference: float64 accumulation of row-major A (m×n).
func naiveGemv[T blas.Float](tA blas.Transpose, m, n int, alpha T, a []T, x []T, beta T, y []T) (want, bound []float64) {
	rows, cols := m, n
	if tA == blas.Trans {
		rows, cols = n, m
	}
	want = make([]float64, rows)
	bound = make([]float64, rows)
	for i := 0; i < rows; i++ {
		var s, abs float64
		for j := 0; j < cols; j++ {
			var aij T
			if tA == blas.Trans {
				aij = a[j*n+i]
			} else {
				aij = a[i*n+j]
			}
			s += float64(aij) * float64(x[j])
			abs += math.Abs(float64(aij) * float64(x[j]))
		}
		want[i] = float64(alpha)*s + float64(beta)*float64(y[i])
		// 2·cols·ε·Σ|aᵢⱼxⱼ| for the two orders of summation, plus the scaling.
		bound[i] = 2*float64(cols+2)*eps[T]()*(math.Abs(float64(alpha))*abs+math.Abs(float64(beta)*float64(y[i]))) + 1e-300
	}
	return want, bound
}

func testImpls[T blas.Float](t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, impl := range blas.Available() {
		t.Run(impl.Name(), func(t *testing.T) {
			for _, sz := range [][2]int{{1, 1}, {3, 7}, {17, 5}, {64, 33}, {200, 129}} {
				m, n := sz[0], sz[1]
				a := randSlice[T](r, m*n)
				for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
					xl, yl := n, m
					if tA == blas.Trans {
						xl, yl = m, n
					}
					x := randSlice[T](r, xl)
					y := randSlice[T](r, yl)
					want, bound := naiveGemv(tA, m, n, T(0.75), a, x, T(-0.5), y)
					blas.Gemv(impl, tA, m, n, 0.75, a, n, x, 1, -0.5, y, 1)
					for i := range want {
						require.InDelta(t, want[i], float64(y[i]), bound[i], "Gemv %c %d×%d row %d", tA, m, n, i)
					}
				}
				// Dot, Axpy, Scal, Nrm2, Asum on the first row.
				x, y := a[:n], randSlice[T](r, n)
				var dot, abs, sq, asum float64
				for i := range x {
					dot += float64(x[i]) * float64(y[i])
					abs += math.Abs(float64(x[i]) * float64(y[i]))
					sq += float64(x[i]) * float64(x[i])
					asum += math.Abs(float64(x[i]))
				}
				tol := 2 * float64(n+1) * eps[T]()
				assert.InDelta(t, dot, float64(blas.Dot(impl, n, x, 1, y, 1)), tol*abs)
				assert.InDelta(t, math.Sqrt(sq), float64(blas.Nrm2(impl, n, x, 1)), tol*math.Sqrt(sq))
				assert.InDelta(t, asum, float64(blas.Asum(impl, n, x, 1)), tol*asum)
				y2 := append([]T(nil), y...)
				blas.Axpy(impl, n, 2, x, 1, y2, 1)
				blas.Scal(impl, n, 0.5, y2, 1)
				for i := range y2 {
					assert.InDelta(t, (2*float64(x[i])+float64(y[i]))*0.5, float64(y2[i]), 4*eps[T]()*3)
				}
			}
		})
	}
}

func TestGemvDotF64(t *testing.T) { testImpls[float64](t) }
func TestGemvDotF32(t *testing.T) { testImpls[float32](t) }

func testGemm[T blas.Float](t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	m, n, k := 37, 11, 53
	a := randSlice[T](r, m*k) // m×k
	b := randSlice[T](r, k*n) // k×n
	at := make([]T, k*m)      // k×m, Aᵀ stored
	for i := 0; i < m; i++ {
		for j := 0; j < k; j++ {
			at[j*m+i] = a[i*k+j]
		}
	}
	c0 := randSlice[T](r, m*n)
	var outs [][]T
	for _, impl := range blas.Available() {
		for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
			c := append([]T(nil), c0...)
			if tA == blas.NoTrans {
				blas.Gemm(impl, tA, blas.NoTrans, m, n, k, 1.5, a, k, b, n, 0.25, c, n)
			} else {
				blas.Gemm(impl, tA, blas.NoTrans, m, n, k, 1.5, at, m, b, n, 0.25, c, n)
			}
			outs = append(outs, c)
		}
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for l := 0; l < k; l++ {
				p := float64(a[i*k+l]) * float64(b[l*n+j])
				s += p
				abs += math.Abs(p)
			}
			want := 1.5*s + 0.25*float64(c0[i*n+j])
			bound := 2 * float64(k+2) * eps[T]() * (1.5*abs + 0.25*math.Abs(float64(c0[i*n+j])))
			for _, c := range outs {
				require.InDelta(t, want, float64(c[i*n+j]), bound)
			}
		}
	}
}

func TestGemmF64(t *testing.T) { testGemm[float64](t) }
func TestGemmF32(t *testing.T) { testGemm[float32](t) }

func TestGer(t *testing.T) {
	for _, impl := range blas.Available() {
		a := []float64{1, 2, 3, 4, 5, 6}
		blas.Ger(impl, 2, 3, 2, []float64{1, -1}, 1, []float64{1, 2, 3}, 1, a, 3)
		assert.Equal(t, []float64{3, 6, 9, 2, 1, 0}, a, impl.Name())
		a32 := []float32{1, 2, 3, 4, 5, 6}
		blas.Ger(impl, 2, 3, 2, []float32{1, -1}, 1, []float32{1, 2, 3}, 1, a32, 3)
		assert.Equal(t, []float32{3, 6, 9, 2, 1, 0}, a32, impl.Name())
	}
}

func TestBackend(t *testing.T) {
	assert.Contains(t, []string{"openblas", "gonum"}, blas.Backend())
	assert.Equal(t, blas.Backend(), blas.Default().Name())
	assert.Equal(t, blas.Default(), blas.Available()[0])
	assert.NotNil(t, blas.Gonum)
	if blas.OpenBLAS == nil {
		assert.Equal(t, "gonum", blas.Backend())
		assert.Len(t, blas.Available(), 1)
	} else {
		assert.Len(t, blas.Available(), 2)
		if os.Getenv("DESCENT_BLAS") != "gonum" {
			assert.Equal(t, "openblas", blas.Backend())
		}
		assert.NotEmpty(t, blas.Config())
	}
	t.Logf("backend %s, config %q, threads %d", blas.Backend(), blas.Config(), blas.Threads())
}

func TestThreads(t *testing.T) {
	if os.Getenv("DESCENT_BLAS_THREADS") == "" && os.Getenv("OPENBLAS_NUM_THREADS") == "" {
		assert.Equal(t, 1, blas.Threads(), "default is 1 thread")
	}
	old := blas.Threads()
	defer blas.SetThreads(old)
	blas.SetThreads(2)
	if blas.OpenBLAS != nil {
		assert.Equal(t, 2, blas.Threads())
	} else {
		assert.Equal(t, 1, blas.Threads())
	}
	assert.PanicsWithValue(t, "blas: SetThreads: n = 0 < 1", func() { blas.SetThreads(0) })
}

func TestNilIsDefault(t *testing.T) {
	x := []float64{1, 2, 3}
	assert.Equal(t, 14.0, blas.Dot(nil, 3, x, 1, x, 1))
}

func TestBadArgumentsPanic(t *testing.T) {
	for _, impl := range blas.Available() {
		assert.Panics(t, func() {
			blas.Gemv(impl, blas.NoTrans, 3, 3, 1, make([]float64, 8), 3, make([]float64, 3), 1, 0, make([]float64, 3), 1)
		}, "short A, %s", impl.Name())
		assert.Panics(t, func() { blas.Dot(impl, 3, make([]float32, 2), 1, make([]float32, 3), 1) }, "short x, %s", impl.Name())
	}
}

func TestNoAllocs(t *testing.T) {
	a := make([]float32, 64*32)
	x := make([]float32, 32)
	y := make([]float32, 64)
	for _, impl := range blas.Available() {
		allocs := testing.AllocsPerRun(20, func() {
			blas.Gemv(impl, blas.NoTrans, 64, 32, 1, a, 32, x, 1, 0, y, 1)
			_ = blas.Dot(impl, 32, x, 1, x, 1)
		})
		assert.Zero(t, allocs, impl.Name())
	}
}
