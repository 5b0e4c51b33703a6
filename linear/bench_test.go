package linear_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/linear"
)

// Shared inputs, made once per shape: the large ones are hundreds of MB.
var benchData = map[[3]int]*benchInput{}

type benchInput struct {
	x64, y64 []float64
	x32, y32 []float32
}

func input(m, n, k int) *benchInput {
	key := [3]int{m, n, k}
	if in, ok := benchData[key]; ok {
		return in
	}
	clear(benchData) // keep at most one large shape alive
	r := rand.New(rand.NewPCG(uint64(m), uint64(n)))
	in := &benchInput{x64: make([]float64, m*n), y64: make([]float64, m), x32: make([]float32, m*n), y32: make([]float32, m)}
	for i := range in.x64 {
		v := r.NormFloat64()
		in.x64[i], in.x32[i] = v, float32(v)
	}
	for i := range in.y64 {
		v := float64(r.IntN(max(k, 2)))
		in.y64[i], in.y32[i] = v, float32(v)
	}
	benchData[key] = in
	return in
}

func newBenchModel[T linear.Float](name string, n, k int, opt linear.Options) *linear.Model[T] {
	switch name {
	case "least-squares":
		return linear.NewLeastSquares[T](n, opt)
	case "logistic":
		return linear.NewLogistic[T](n, opt)
	}
	return linear.NewSoftmax[T](n, k, opt)
}

func benchGrad[T linear.Float](b *testing.B, md *linear.Model[T], x, y []T) {
	theta := make([]T, md.NumParams())
	for i := range theta {
		theta[i] = T(0.01 * float64(i%7))
	}
	g := make([]T, md.NumParams())
	md.LossGrad(theta, x, y, g) // warm-up: workspace
	var z T
	size := int64(8)
	if _, ok := any(z).(float32); ok {
		size = 4
	}
	b.SetBytes(int64(len(x)) * size) // X streamed once per gradient
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		md.LossGrad(theta, x, y, g)
	}
}

// BenchmarkGradient measures LossGrad throughput in bytes of X per second:
// blocked (X streamed once) against two whole-matrix products ("two-gemv",
// X streamed twice), with OpenBLAS and with gonum's pure-Go BLAS.
//
//	go test -run '^$' -bench Gradient ./linear            (all shapes)
//	go test -short -run '^$' -bench Gradient ./linear     (10000×100 only)
func BenchmarkGradient(b *testing.B) {
	type shape struct{ m, n int }
	shapes := []shape{{10000, 100}, {100000, 256}, {1000000, 32}}
	models := []struct {
		name string
		k    int
		all  bool // every shape, or only the smallest
	}{
		{"logistic", 1, true},
		{"least-squares", 1, false},
		{"softmax", 10, false},
	}
	for _, mod := range models {
		for _, dt := range []string{"f64", "f32"} {
			for si, s := range shapes {
				if si > 0 && !mod.all {
					continue
				}
				name := fmt.Sprintf("%s/%s/m=%d,n=%d", mod.name, dt, s.m, s.n)
				b.Run(name, func(b *testing.B) {
					if si > 0 && testing.Short() {
						b.Skip("large shape skipped under -short")
					}
					in := input(s.m, s.n, mod.k)
					for _, impl := range blas.Available() {
						for _, blk := range []struct {
							name string
							rows int
						}{{"blocked", 0}, {"two-gemv", linear.NoBlocking}} {
							opt := linear.Options{Intercept: true, BLAS: impl, BlockRows: blk.rows}
							b.Run("impl="+blk.name+"-"+impl.Name(), func(b *testing.B) {
								if dt == "f64" {
									benchGrad(b, newBenchModel[float64](mod.name, s.n, mod.k, opt), in.x64, in.y64)
								} else {
									benchGrad(b, newBenchModel[float32](mod.name, s.n, mod.k, opt), in.x32, in.y32)
								}
							})
						}
					}
				})
			}
		}
	}
}

// BenchmarkBlockSize sweeps the row-block size for logistic float64 on a
// shape that does not fit in cache, to pick DefaultBlockBytes.
func BenchmarkBlockSize(b *testing.B) {
	if testing.Short() {
		b.Skip("large shape skipped under -short")
	}
	const m, n = 1000000, 32
	in := input(m, n, 1)
	for _, kib := range []int{16, 32, 64, 128, 256, 512, 1024, 4096} {
		rows := kib << 10 / (n * 8)
		b.Run(fmt.Sprintf("logistic/f64/m=%d,n=%d/block=%dKiB/impl=%s", m, n, kib, blas.Backend()), func(b *testing.B) {
			benchGrad(b, linear.NewLogistic[float64](n, linear.Options{Intercept: true, BlockRows: rows}), in.x64, in.y64)
		})
	}
}
