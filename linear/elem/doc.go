// Package elem holds the elementwise functions of descent's linear models:
// the logistic sigmoid, log-sigmoid and softplus, the row-wise log-sum-exp
// and softmax, and residuals, for float32 and float64.
//
// # Stability
//
// Every function is finite for every finite input: exponentials are only
// taken of non-positive numbers (sigmoid splits on the sign of x, softplus
// is max(x,0) + log1p(exp(−|x|)), log-sum-exp subtracts the row maximum), so
// nothing overflows, and small results keep their relative accuracy instead
// of being flushed through 1 − (something near 1).
//
// # Accuracy
//
// The arithmetic is done in float64 for both element types (math.Exp,
// math.Log1p and math.Log are within 1 ulp), then rounded once to the
// element type. The bounds below are checked by the tests against a 300-bit
// math/big reference, over inputs in ±745 for float64 (the whole range where
// the results are not 0 or 1), ±100 for float32, ±40 and near zero:
//
//	function              float64 bound                        float32 bound
//	Sigmoid               3 ulp                                1 ulp
//	Softplus, LogSigmoid  3 ulp                                1 ulp
//	LogSumExp of k        (k+3)·ε·max(1,|result|) absolute     1 ulp + the float64 bound
//	Softmax of k, entry i (k+4+2·|x[i]−max x|)·ε relative      1 ulp + the float64 bound
//
// with ε = 2⁻⁵³ and the ulp that of the result in its element type (measured
// maxima: 1.7, 1.4 and 1.4 ulp for float64; 0.5 ulp for float32). The
// |x[i] − max x| term of Softmax is the conditioning of exp, not a defect:
// an input known to ½ ulp moves exp(x) by |x|·ε relatively.
//
// NaN inputs give NaN outputs. ±Inf inputs give the limits (Sigmoid(+Inf) =
// 1, Softplus(−Inf) = 0, LogSumExp of a row holding +Inf is +Inf; a row of
// only −Inf gives −Inf and a NaN softmax).
//
// # Speed
//
// These are scalar Go loops around math.Exp (≈ 5–10 ns a value). In the
// models they run once per row (binary) or once per row and class (softmax),
// while the matrix–vector products read n values per row, so they cost at
// most a few per cent once n is in the tens or more; see the linear package's
// benchmarks.
package elem
