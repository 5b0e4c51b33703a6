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
// Bad data do not panic: NaN or ±Inf in X or y, and softmax labels that
// are not class indices, make the loss (and the affected gradient entries)
// NaN or ±Inf, which the tests check; so do NaN or ±Inf in θ for least
// squares and logistic regression. Softmax may absorb a non-finite θ: a −Inf
// weight or bias of a class that is never the label only gives that class
// probability 0, and the gonum backend skips zero entries of X, so a NaN
// weight facing a zero feature is not seen. [Model.Check] reports bad X and
// y before training as an error wrapping [ErrNonFinite] or [ErrLabel],
// naming the index, row and column; θ is the caller's to keep finite.
//
// # Agreement between backends
//
// The OpenBLAS and gonum backends, and different block sizes, sum in
// different orders (and OpenBLAS uses FMA, and picks kernels by the slices'
// alignment, so even OpenBLAS alone is not bit-reproducible across
// allocations), so results agree to rounding rather than bit for bit. For a
// gradient entry (j, o), with ε the unit round-off of T, the difference from
// the exact gradient is within about
//
//	2·(m+n)·ε·(1/m)·Σᵢ|xᵢⱼ·rᵢ|  +  (1/m)·Σᵢ|xᵢⱼ|·Fᵢ
//
// plus the documented error of the elementwise functions (linear/elem). The
// first term is the two sums; the second carries the rounding of the logits,
// δzᵢ ≈ (n+1)·ε·(Σⱼ|xᵢⱼθⱼ| + |b|), through the residual r = ∂loss/∂z:
// Fᵢ = δzᵢ for least squares, σ'(zᵢ)·δzᵢ for logistic regression, and at
// most min(p, 1−p)·(e^{2δz}−1) for softmax. The second term dominates where
// the residual is small but the logits are large (a well-fitted least-squares
// row, a confident logistic one). The tests check agreement between backends
// and block sizes, float64 gradients against central finite differences and
// against a direct computation with gonum's mat package, and package fuzz's
// FuzzLinear targets check this bound against a float64 reference.
//
// # Across CPUs
//
// Unlike the optimizer kernels (package kernels), whose results are the same
// bits on every CPU, this package's losses, gradients and predictions are
// not bit-identical across architectures, even with the pure-Go gonum
// backend; they agree to rounding, within the bound above. What holds is
// pinned by TestPortableGolden (digests recorded on each kind of CPU in
// testdata/portable.golden, checked on amd64 and under qemu-aarch64),
// TestPortableClaims and TestPortableAlignment:
//
//   - amd64 and arm64 differ in the last bits in every case tested (every
//     objective, float32 and float64): gonum's BLAS is SSE assembly on amd64
//     and Go on arm64, where the compiler fuses multiplies and adds into
//     FMAs, and math.Exp and math.Log1p give different bits on the two.
//   - On amd64, least squares does not depend on whether the CPU has FMA;
//     logistic and softmax regression can, as math.Exp's assembly uses FMA
//     where the CPU has AVX and FMA (GODEBUG=cpu.fma=off shows the other
//     result).
//   - On one kind of CPU the results are reproducible, and do not depend on
//     where the slices lie, except for float32 on amd64: gonum's float32 dot
//     product steps to an aligned address before its vector loop, so its
//     order of summation depends on the alignment of X and θ.
//   - OpenBLAS is not reproducible even across allocations (see above).
//
// End-to-end training (packages train and tune, descent train) can
// therefore repeat its bits only on the same kind of CPU, with the gonum
// backend (and float64 on amd64). Making the gradients identical everywhere
// would need a matrix–vector product and an exponential of descent's own,
// with one canonical order and no FMA, as the kernels have.
package linear
