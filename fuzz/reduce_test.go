package fuzz

import (
	"math"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// Targets for the reductions and vector operations. Arguments:
//
//	data    element values (see value)
//	n       slice length, mod maxLen+1
//	offs    element offset of each slice within its guarded buffer, 4 bits each
//	a       (Axpy, Scale) the scalar, any float64, rounded to the element type

func FuzzSumSquaresF32(f *testing.F) {
	fuzzSumSquares(f, kernels.SumSquares[float32], func(x float32) float64 { return float64(x) * float64(x) })
}

func FuzzSumSquaresF64(f *testing.F) {
	fuzzSumSquares(f, kernels.SumSquares[float64], func(x float64) float64 { return x * x })
}

// fuzzSumSquares compares SumSquares with the reference and checks, exactly
// (sq is one element's square as the kernel rounds it):
//   - the finite flag is true exactly when every element is finite;
//   - the sum is NaN exactly when some element is NaN (squares are never
//     −Inf, so no Inf − Inf arises); otherwise it is ≥ +0 (never −0), ≥
//     every single square (a rounded sum of non-negative terms is at least
//     each term), +Inf if some element is ±Inf, and 0 exactly when every
//     square is 0;
//   - float32: the sum of finite elements is finite (a float32 square is
//     below 2^256 and there are fewer than 2^600 terms).
func fuzzSumSquares[T float](f *testing.F, sumsq func([]T) (float64, bool), sq func(T) float64) {
	f.Fuzz(func(t *testing.T, data []byte, n uint16, offs uint32) {
		size := length(n)
		x := values[T](newDecoder(data, size), size, false)
		_, res := runAll(t, "SumSquares", [][]T{x}, offs, func(a [][]T) []float64 {
			s, fin := sumsq(a[0])
			return []float64{s, b2f(fin)}
		})
		sum, fin := res[0], res[1] == 1
		hasNaN, hasInf, maxSq, allZero := false, false, 0.0, true
		for _, e := range x {
			switch {
			case e != e:
				hasNaN = true
			case math.IsInf(float64(e), 0):
				hasInf = true
			}
			q := sq(e)
			if q == q {
				maxSq = max(maxSq, q)
				allZero = allZero && q == 0
			}
		}
		if fin != (!hasNaN && !hasInf) {
			t.Fatalf("SumSquares: finite flag %v, but NaN present %v, ±Inf present %v (sum %v)", fin, hasNaN, hasInf, sum)
		}
		if math.IsNaN(sum) != hasNaN {
			t.Fatalf("SumSquares: sum %v, but NaN present %v", sum, hasNaN)
		}
		if hasNaN {
			return
		}
		if math.Signbit(sum) || !(sum >= maxSq) {
			t.Fatalf("SumSquares: sum %v (%#x) is negative, −0 or below the largest square %v", sum, math.Float64bits(sum), maxSq)
		}
		if hasInf && !math.IsInf(sum, 1) {
			t.Fatalf("SumSquares: sum %v with an infinite element", sum)
		}
		if (sum == 0) != allZero {
			t.Fatalf("SumSquares: sum %v, but every square zero is %v", sum, allZero)
		}
		if is32[T]() && fin && !finite(sum) {
			t.Fatalf("SumSquares: finite float32 elements gave %v", sum)
		}
	})
}

func FuzzDotF32(f *testing.F) { fuzzDot(f, kernels.Dot[float32], nil) }
func FuzzDotF64(f *testing.F) { fuzzDot(f, kernels.Dot[float64], kernels.SumSquares[float64]) }

// fuzzDot compares Dot(x, y) and Dot(y, x) with the reference and checks,
// exactly:
//   - Dot(x, y) and Dot(y, x) are the same (products commute exactly);
//   - Dot(x, −y) == −Dot(x, y) numerically (round-to-nearest is symmetric;
//     only the sign of a zero may differ);
//   - Dot(x, x) is NaN or ≥ 0;
//   - float64: Dot(x, x) is SumSquares[float64](x)'s sum bit for bit (both sum
//     the rounded squares in 16 partial sums in the same canonical order).
func fuzzDot[T float](f *testing.F, dot func(x, y []T) T, sumsq func([]T) (float64, bool)) {
	f.Fuzz(func(t *testing.T, data []byte, n uint16, offs uint32) {
		size := length(n)
		d := newDecoder(data, size)
		x, y := values[T](d, size, false), values[T](d, size, false)
		run := func(name string, x, y []T) T {
			_, res := runAll(t, name, [][]T{x, y}, offs, func(a [][]T) []float64 {
				return []float64{float64(dot(a[0], a[1]))}
			})
			return T(res[0])
		}
		xy := run("Dot(x, y)", x, y)
		yx := run("Dot(y, x)", y, x)
		if !same(xy, yx) {
			t.Fatalf("Dot(x, y) = %v (%#x), Dot(y, x) = %v (%#x)", xy, bitsOf(xy), yx, bitsOf(yx))
		}
		ny := make([]T, len(y))
		for i := range y {
			ny[i] = -y[i]
		}
		if xny := run("Dot(x, -y)", x, ny); !numEq(xny, -xy) {
			t.Fatalf("Dot(x, -y) = %v, Dot(x, y) = %v", xny, xy)
		}
		xx := run("Dot(x, x)", x, x)
		if xx < 0 {
			t.Fatalf("Dot(x, x) = %v < 0", xx)
		}
		if sumsq != nil {
			var ss float64
			generic(t, func() { ss, _ = sumsq(x) })
			if !same(float64(xx), ss) {
				t.Fatalf("Dot[float64](x, x) = %v (%#x), SumSquares[float64](x) = %v (%#x)", xx, bitsOf(xx), ss, math.Float64bits(ss))
			}
		}
	})
}

func FuzzAxpyF32(f *testing.F) { fuzzAxpy(f, kernels.Axpy[float32]) }
func FuzzAxpyF64(f *testing.F) { fuzzAxpy(f, kernels.Axpy[float64]) }

// fuzzAxpy compares Axpy with the reference and checks, exactly: x is not
// written; a = 0 and x finite leave y unchanged numerically (y + (±0); a
// −0 may become +0); a = 1 gives y + x, bit for bit.
func fuzzAxpy[T float](f *testing.F, axpy func(a T, x, y []T)) {
	f.Fuzz(func(t *testing.T, data []byte, n uint16, offs uint32, a64 float64) {
		size := length(n)
		d := newDecoder(data, size)
		in := [][]T{values[T](d, size, false), values[T](d, size, false)}
		a := T(a64)
		out, _ := runAll(t, "Axpy", in, offs, func(s [][]T) []float64 {
			axpy(a, s[0], s[1])
			return nil
		})
		for i := range in[0] {
			x, y, got := in[0][i], in[1][i], out[1][i]
			switch {
			case bitsOf(out[0][i]) != bitsOf(x):
				t.Fatalf("Axpy wrote x[%d]: %v became %v", i, x, out[0][i])
			case a == 0 && finite(float64(x)) && !numEq(got, y):
				t.Fatalf("Axpy(%v): y[%d] = %v became %v (x %v)", a, i, y, got, x)
			case a == 1 && !same(got, y+x):
				t.Fatalf("Axpy(1): y[%d] = %v (%#x), want y + x = %v", i, got, bitsOf(got), y+x)
			}
		}
	})
}

func FuzzScaleF32(f *testing.F) { fuzzScale[float32](f, kernels.Scale[float32]) }
func FuzzScaleF64(f *testing.F) { fuzzScale[float64](f, kernels.Scale[float64]) }

// fuzzScale compares Scale with the reference and checks, exactly: a = 1
// leaves x unchanged and a = −1 negates it, bit for bit (zeros' signs
// included; NaN stays NaN); a = 0 makes every finite element a zero.
func fuzzScale[T float](f *testing.F, scale func(a T, x []T)) {
	f.Fuzz(func(t *testing.T, data []byte, n uint16, offs uint32, a64 float64) {
		size := length(n)
		in := [][]T{values[T](newDecoder(data, size), size, false)}
		a := T(a64)
		out, _ := runAll(t, "Scale", in, offs, func(s [][]T) []float64 {
			scale(a, s[0])
			return nil
		})
		for i, x := range in[0] {
			got := out[0][i]
			switch {
			case a == 1 && !same(got, x):
				t.Fatalf("Scale(1): x[%d] = %v became %v", i, x, got)
			case a == -1 && !same(got, -x):
				t.Fatalf("Scale(-1): x[%d] = %v (%#x) became %v (%#x)", i, x, bitsOf(x), got, bitsOf(got))
			case a == 0 && finite(float64(x)) && got != 0:
				t.Fatalf("Scale(0): x[%d] = %v became %v", i, x, got)
			}
		}
	})
}
