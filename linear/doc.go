// Package linear computes the losses, gradients and predictions of linear
// models on top of package blas: least squares, ridge, logistic regression
// and softmax regression, for float32 and float64.
//
// # Models
//
// A [Model] is made by [NewLeastSquares], [NewRidge], [NewLogistic] or
// [NewSoftmax] and holds no parameters: θ, X and y are the caller's slices.
// X is row-major m × n (n = Features()); θ holds the n × k weight matrix W
// row-major (k = Outputs(): 1, or the number of classes) followed, with
// Options.Intercept, by k biases. The losses are means over the m rows plus
// (λ/2)·‖W‖² for Options.L2 = λ (biases are not penalised):
//
//	least squares / ridge   1/(2m) Σ (xᵢ·w + b − yᵢ)²
//	logistic                1/m Σ softplus(zᵢ) − yᵢ·zᵢ,      zᵢ = xᵢ·w + b, yᵢ ∈ {0,1}
//	softmax                 1/m Σ logsumexp(zᵢ) − zᵢ[yᵢ],    zᵢ = xᵢ·W + b, yᵢ a class index
//
// The logistic and softmax forms are the binary and multinomial
// cross-entropies written with a stable softplus and log-sum-exp (package
// linear/elem), so the loss is finite, and accurate, for logits of any size.
// All sums of losses are accumulated in float64, also for float32 models.
//
// [Model.LossGrad] returns the loss and writes ∇L(θ) into a caller's buffer;
// [Model.Loss] returns the loss only; [Model.Predict] gives fitted values,
// P(y=1) or class probabilities; [Model.Classify] gives labels.
//
// # Blocking
//
// X is processed in blocks of rows sized to the cache (Options.BlockRows;
// by default as many rows as fit in [DefaultBlockBytes] = 128 KiB, at least
// 16): for each block, Z = X_b·W (GEMV, or GEMM for softmax), then the
// residual R = ∂loss/∂Z elementwise, then grad += X_bᵀ·R/m, while X_b is still
// in the L2 cache. X is therefore read from memory once per gradient, not
// twice as with one whole-matrix product for X·θ followed by one for Xᵀ·r
// ([NoBlocking] gives that, for comparison). The benchmarks in this package
// measure the difference.
//
// # Workspace, allocation, concurrency
//
// A Model owns a workspace of BlockRows × k values, allocated by the first
// Loss or LossGrad call; later calls allocate nothing. A Model must
// therefore not be used by several goroutines at once (Predict, Logits and
// Classify use no workspace and may). Make one Model per goroutine: they
// are small. With OpenBLAS at its default of one thread (see package blas)
// concurrency comes from those goroutines. The pure-Go backend's matrix
// products are cut into 64×64 tiles so that gonum's Dgemm stays on its
// serial, allocation-free path too.
//
// # Errors
//
// Programmer errors panic with a message naming the function and the sizes,
// as gonum does: len(θ) ≠ NumParams(), len(X) ≠ len(y)·Features(), a grad
// or output buffer of the wrong length, features < 1, classes < 2, L2 < 0.
// Bad data do not panic: NaN or ±Inf in X or y (or θ), and softmax labels
// that are not class indices, make the loss (and the affected gradient
// entries) NaN or ±Inf, which the tests check. [Model.Check] reports them
// before training as an error wrapping [ErrNonFinite] or [ErrLabel], naming
// the index, row and column.
//
// # Agreement between backends
//
// The OpenBLAS and gonum backends, and different block sizes, sum in
// different orders (and OpenBLAS uses FMA), so their results agree to
// rounding rather than bit for bit: for a gradient entry the difference is
// within about 2·(m+n)·ε·(1/m)·Σᵢ|xᵢⱼ·rᵢ|, ε the unit round-off of T. The tests
// check this bound, and float64 gradients against central finite differences
// and against a direct computation with gonum's mat package.
package linear
