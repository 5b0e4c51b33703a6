package optim

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/descent-go/descent/blas"
)

// BenchmarkMuonStep times one Muon step (momentum, five Newton–Schulz
// iterations through blas.Gemm, update) of one float32 matrix, by shape,
// BLAS implementation and thread count: OpenBLAS's threads (blas.SetThreads)
// and, for gonum, whose Gemm splits large products over GOMAXPROCS
// goroutines, GOMAXPROCS. One optimizer worker: the matrix is one work
// item. Reported: ms per step and GFLOP/s of the iterations (per step
// 5·(4·m²·n + 2·m³) flops, m = min(rows, cols), n = max).
//
//	go test -run '^$' -bench MuonStep -benchtime 3x ./optim/
func BenchmarkMuonStep(b *testing.B) {
	for _, sh := range [][2]int{{1024, 1024}, {4096, 1024}} {
		for _, impl := range blas.Available() {
			for _, threads := range []int{1, 2} {
				name := fmt.Sprintf("f32/%dx%d/blas=%s/threads=%d", sh[0], sh[1], impl.Name(), threads)
				b.Run(name, func(b *testing.B) {
					r, c := sh[0], sh[1]
					rng := rand.New(rand.NewPCG(1, 2))
					data, grad := make([]float32, r*c), make([]float32, r*c)
					for i := range data {
						data[i], grad[i] = float32(rng.NormFloat64()*0.02), float32(rng.NormFloat64())
					}
					p := Float32("w", data, grad)
					p.Shape = []int{r, c}
					o, err := New("muon", []Group{{Params: []Param{p}}}, WithBLAS(impl), WithWorkers(1))
					if err != nil {
						b.Fatal(err)
					}
					defer o.Close()
					prevT, prevP := blas.Threads(), runtime.GOMAXPROCS(0)
					blas.SetThreads(threads)
					if impl == blas.Gonum {
						runtime.GOMAXPROCS(threads)
					}
					defer func() { blas.SetThreads(prevT); runtime.GOMAXPROCS(prevP) }()
					o.Step() // warm-up
					b.ResetTimer()
					for range b.N {
						if _, err := o.Step(); err != nil {
							b.Fatal(err)
						}
					}
					m, n := float64(min(r, c)), float64(max(r, c))
					sec := b.Elapsed().Seconds() / float64(b.N)
					b.ReportMetric(sec*1e3, "ms/step")
					b.ReportMetric(5*(4*m*m*n+2*m*m*m)/sec/1e9, "GFLOP/s")
				})
			}
		}
	}
}
