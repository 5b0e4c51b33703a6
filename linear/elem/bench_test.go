package elem

import (
	"fmt"
	"testing"
)

// BenchmarkElem measures the elementwise functions per value (n values per
// op; SetBytes counts one input element each).
func BenchmarkElem(b *testing.B) {
	const n = 4000
	x64 := make([]float64, n)
	x32 := make([]float32, n)
	for i := range x64 {
		x64[i] = float64(i%200)/10 - 10
		x32[i] = float32(x64[i])
	}
	d64 := make([]float64, n)
	d32 := make([]float32, n)
	b.Run(fmt.Sprintf("LogisticParts/f64/n=%d", n), func(b *testing.B) {
		b.SetBytes(8 * n)
		var s float64
		for b.Loop() {
			for _, v := range x64 {
				sp, sg := LogisticParts(v)
				s += sp + sg
			}
		}
		_ = s
	})
	b.Run(fmt.Sprintf("Sigmoid/f32/n=%d", n), func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			SigmoidTo(d32, x32)
		}
	})
	b.Run(fmt.Sprintf("Sigmoid/f64/n=%d", n), func(b *testing.B) {
		b.SetBytes(8 * n)
		for b.Loop() {
			SigmoidTo(d64, x64)
		}
	})
	b.Run(fmt.Sprintf("SoftmaxRows/f64/k=10/n=%d", n), func(b *testing.B) {
		b.SetBytes(8 * n)
		for b.Loop() {
			SoftmaxRows(d64, x64, 10, nil)
		}
	})
	b.Run(fmt.Sprintf("SoftmaxRows/f32/k=10/n=%d", n), func(b *testing.B) {
		b.SetBytes(4 * n)
		for b.Loop() {
			SoftmaxRows(d32, x32, 10, nil)
		}
	})
}
