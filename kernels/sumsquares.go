package kernels

import (
	"math"

	"github.com/descent-go/descent/kernels/asm"
)

// sumSquaresF32 returns Σ x[i]², each square exact in float64 and summed in
// float64 in the canonical order (16 partial sums s[i mod 16] over whole
// blocks of 16, combined by halving, then the remaining elements added one
// at a time), and whether every x[i] is finite. It is the one pass that
// global-norm clipping and loss scaling need.
func sumSquaresF32(x []float32) (sum float64, finite bool) {
	switch impl {
	case implAVX2, implAVX512:
		sum = asm.SumSquaresAVX2F32(x)
	case implNEON:
		sum = asm.SumSquaresNEONF32(x)
	default:
		return sumSquaresRef32(x)
	}
	// No float32 square overflows a float64: the sum is finite exactly
	// when every element is.
	return sum, !math.IsInf(sum, 0) && !math.IsNaN(sum)
}

// sumSquaresF64 returns Σ x[i]² in float64 in the canonical order of
// SumSquaresF32, and whether every x[i] is finite (tracked separately: the
// squares of finite elements can overflow).
func sumSquaresF64(x []float64) (sum float64, finite bool) {
	switch impl {
	case implAVX2, implAVX512:
		return asm.SumSquaresAVX2F64(x)
	case implNEON:
		return asm.SumSquaresNEONF64(x)
	}
	return sumSquaresRef64(x)
}
