package optim

import (
	"fmt"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// benchModel returns tensors float32 parameters of n elements each, with
// gradients set to a fixed pattern.
func benchModel(tensors, n int) []Param {
	ps := make([]Param, tensors)
	for i := range ps {
		p, g := make([]float32, n), make([]float32, n)
		for j := range p {
			p[j] = 1
			g[j] = float32(j%7-3) * 0.01
		}
		ps[i] = Float32(fmt.Sprintf("t%d", i), p, g)
	}
	return ps
}

func reportElems(b *testing.B, n int) {
	b.SetBytes(int64(28 * n)) // Adam fp32: p, g, m, v read; p, m, v written
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "elems/s")
}

// BenchmarkStep is a full Adam Step over a model of tensors×n float32
// parameters. The 100M model (200 tensors of 500k; about 2.8 GB with
// state) is skipped under -short.
func BenchmarkStep(b *testing.B) {
	for _, m := range []struct{ tensors, n int }{{20, 500_000}, {200, 500_000}, {10_000, 100}} {
		total := m.tensors * m.n
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("adam/f32/N=%d/tensors=%d/workers=%d", total, m.tensors, workers), func(b *testing.B) {
				if total >= 100_000_000 && testing.Short() {
					b.Skip("100M parameters need about 2.8 GB; skipped under -short")
				}
				o, err := NewAdam([]AdamGroup{{Params: benchModel(m.tensors, m.n), Hyper: kernels.DefaultAdam()}}, WithWorkers(workers))
				if err != nil {
					b.Fatal(err)
				}
				defer o.Close()
				o.Step()
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					o.Step()
				}
				reportElems(b, total)
			})
		}
	}
}

// BenchmarkStepClipScale adds clipping by norm and loss scaling (one more
// read of the gradients) to the 10M-parameter step.
func BenchmarkStepClipScale(b *testing.B) {
	const tensors, n = 20, 500_000
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("adam/f32/N=%d/workers=%d", tensors*n, workers), func(b *testing.B) {
			o, err := NewAdam([]AdamGroup{{Params: benchModel(tensors, n), Hyper: kernels.DefaultAdam()}},
				WithWorkers(workers), WithClipNorm(1), WithLossScaler(DefaultScaler()))
			if err != nil {
				b.Fatal(err)
			}
			defer o.Close()
			o.Step()
			b.ResetTimer()
			for range b.N {
				o.Step()
			}
			reportElems(b, tensors*n)
		})
	}
}

// BenchmarkAdamKernel is one kernels.AdamStep[float32] call over one 500k tensor,
// the unit a Step is made of.
func BenchmarkAdamKernel(b *testing.B) {
	const n = 500_000
	p := benchModel(1, n)[0]
	m, v := make([]float32, n), make([]float32, n)
	s := kernels.DefaultAdam().Scalars(10, 1)
	b.Run(fmt.Sprintf("f32/n=%d/impl=%s", n, kernels.Impl()), func(b *testing.B) {
		for range b.N {
			kernels.AdamStep[float32](p.Data32, p.Grad32, m, v, &s)
		}
		reportElems(b, n)
	})
}
