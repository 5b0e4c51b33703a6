package elem

import (
	"fmt"
	"math"
)

// Float is the element types of the package.
type Float interface{ float32 | float64 }

func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// softplus64 is log(1 + eˣ) = max(x,0) + log1p(exp(−|x|)).
func softplus64(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// LogisticParts returns Softplus(x) and Sigmoid(x) from one exponential,
// in float64, with the accuracy of Softplus and Sigmoid: the binary
// cross-entropy of a logit x with label y is softplus − y·x and its
// derivative is sigmoid − y.
func LogisticParts(x float64) (softplus, sigmoid float64) {
	e := math.Exp(-math.Abs(x)) // in (0, 1]
	l := math.Log1p(e)
	if x > 0 {
		return x + l, 1 / (1 + e)
	}
	return l, e / (1 + e)
}

// Sigmoid returns σ(x) = 1/(1+e⁻ˣ).
func Sigmoid[T Float](x T) T { return T(sigmoid64(float64(x))) }

// Softplus returns log(1+eˣ), without overflow for large x.
func Softplus[T Float](x T) T { return T(softplus64(float64(x))) }

// LogSigmoid returns log σ(x) = −Softplus(−x), accurate for large |x|.
func LogSigmoid[T Float](x T) T { return T(-softplus64(-float64(x))) }

// SigmoidTo sets dst[i] = Sigmoid(x[i]). It panics if the lengths differ.
func SigmoidTo[T Float](dst, x []T) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("elem: SigmoidTo: len(dst) = %d, len(x) = %d", len(dst), len(x)))
	}
	if is64[T]() {
		for i, v := range x {
			dst[i] = T(sigmoid64(float64(v)))
		}
		return
	}
	var buf [Chunk]float64
	for i0 := 0; i0 < len(x); i0 += Chunk {
		w := Widen(&buf, x[i0:])
		for j, v := range w {
			dst[i0+j] = T(sigmoid64(v))
		}
	}
}

// Chunk is the number of values Widen converts at a time.
const Chunk = 64

// Widen converts the first min(len(src), Chunk) values of src to float64 in
// buf and returns that part of buf.
//
// It exists for speed: the amd64 instruction that widens a float32
// (CVTSS2SD) writes only the low half of its register and so waits for the
// instruction that last wrote it, which in a loop is often the previous
// iteration's exp or division. A loop that converts as it goes is then
// serialised on the whole latency of its body (measured: Sigmoid on float32
// 4.7× slower than on float64). Converting a chunk first keeps that chain to
// the conversions, and the loop over buf runs iterations in parallel.
func Widen[T Float](buf *[Chunk]float64, src []T) []float64 {
	n := min(len(src), Chunk)
	for i, v := range src[:n] {
		buf[i] = float64(v)
	}
	return buf[:n]
}

func is64[T Float]() bool {
	var z T
	_, ok := any(z).(float64)
	return ok
}

// Residual sets dst[i] = z[i] − y[i]. It panics if the lengths differ.
func Residual[T Float](dst, z, y []T) {
	if len(dst) != len(z) || len(z) != len(y) {
		panic(fmt.Sprintf("elem: Residual: len(dst) = %d, len(z) = %d, len(y) = %d", len(dst), len(z), len(y)))
	}
	for i := range dst {
		dst[i] = z[i] - y[i]
	}
}

// lse64 returns max and log Σ exp(x − max), in float64.
func lse64[T Float](x []T) (mx, logSum float64) {
	mx = math.Inf(-1)
	for _, v := range x {
		if f := float64(v); f > mx || f != f {
			mx = f
			if f != f {
				return f, f
			}
		}
	}
	if math.IsInf(mx, 0) {
		return mx, 0
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - mx)
	}
	return mx, math.Log(s)
}

// LogSumExp returns log Σ exp(x[i]), computed as max + log Σ exp(x[i] − max)
// so that it neither overflows nor underflows. It is −Inf for an empty x.
func LogSumExp[T Float](x []T) T {
	mx, ls := lse64(x)
	return T(mx + ls)
}

// Softmax sets dst[i] = exp(x[i]) / Σ exp(x[j]) and returns LogSumExp(x).
// dst may be x. It panics if the lengths differ.
func Softmax[T Float](dst, x []T) T {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("elem: Softmax: len(dst) = %d, len(x) = %d", len(dst), len(x)))
	}
	mx, ls := lse64(x)
	lse := mx + ls
	if math.IsInf(mx, 1) {
		// Every +Inf entry takes an equal share; the rest get 0.
		var c float64
		for _, v := range x {
			if math.IsInf(float64(v), 1) {
				c++
			}
		}
		for i, v := range x {
			if math.IsInf(float64(v), 1) {
				dst[i] = T(1 / c)
			} else {
				dst[i] = 0
			}
		}
		return T(lse)
	}
	for i, v := range x {
		// exp(x − max − log s): one rounding fewer than exp(x−max)/s
		// would not buy accuracy; this form keeps one pass and no division.
		dst[i] = T(math.Exp(float64(v) - mx - ls))
	}
	return T(lse)
}

// SoftmaxRows applies Softmax to each row of the row-major m×k matrix x,
// writing dst (which may be x) and, when lse is not nil, lse[i] =
// LogSumExp(row i). It panics if len(x) is not a multiple of k, len(dst) !=
// len(x), or lse is not nil and len(lse) != len(x)/k.
func SoftmaxRows[T Float](dst, x []T, k int, lse []T) {
	if k <= 0 || len(x)%k != 0 || len(dst) != len(x) {
		panic(fmt.Sprintf("elem: SoftmaxRows: len(dst) = %d, len(x) = %d, k = %d", len(dst), len(x), k))
	}
	m := len(x) / k
	if lse != nil && len(lse) != m {
		panic(fmt.Sprintf("elem: SoftmaxRows: len(lse) = %d, want %d rows", len(lse), m))
	}
	for i := 0; i < m; i++ {
		l := Softmax(dst[i*k:(i+1)*k], x[i*k:(i+1)*k])
		if lse != nil {
			lse[i] = l
		}
	}
}
