package linear

import (
	"errors"
	"fmt"
	"math"

	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/linear/elem"
)

// Float is the element types of the models.
type Float interface{ float32 | float64 }

// Objective is the loss a model minimises.
type Objective int

const (
	// SquaredError is least squares: half the mean squared error.
	SquaredError Objective = iota
	// BinaryCrossEntropy is logistic regression with labels in {0, 1}.
	BinaryCrossEntropy
	// CrossEntropy is softmax regression with class-index labels.
	CrossEntropy
)

func (o Objective) String() string {
	switch o {
	case SquaredError:
		return "squared-error"
	case BinaryCrossEntropy:
		return "binary-cross-entropy"
	case CrossEntropy:
		return "cross-entropy"
	}
	return fmt.Sprintf("Objective(%d)", int(o))
}

// NoBlocking as Options.BlockRows processes X as one block: one
// matrix–vector (or matrix–matrix) product for X·θ over all rows, then one
// for Xᵀ·r, so X is read from memory twice per gradient.
const NoBlocking = math.MaxInt

// DefaultBlockBytes is the size of the row block of X that Options.BlockRows =
// 0 aims for: small enough to stay in a core's L2 cache between the two
// products.
const DefaultBlockBytes = 128 << 10

// minBlockRows keeps BLAS calls from getting too small when rows are wide.
const minBlockRows = 16

// Options configures a model. The zero value is a model without intercept or
// penalty, using blas.Default() and cache-sized row blocks.
type Options struct {
	// Intercept adds a bias per output, stored after the weights in θ. It is
	// not penalised.
	Intercept bool
	// L2 is the ridge penalty λ ≥ 0: the loss gains (λ/2)·‖W‖².
	L2 float64
	// BLAS is the implementation to use; nil means blas.Default().
	BLAS *blas.Impl
	// BlockRows is the number of rows of X per block; 0 picks the largest
	// number whose block of X fits in DefaultBlockBytes (at least 16);
	// NoBlocking processes all rows at once.
	BlockRows int
}

// Model is a linear model of one of the three objectives, for element type
// T. Its parameters θ are held by the caller: the weights W, a row-major
// features × outputs matrix (a vector when outputs is 1), followed, with an
// intercept, by one bias per output:
//
//	θ = [W[0,0] … W[0,k−1]  W[1,0] … W[n−1,k−1]  b[0] … b[k−1]]
//
// X is a row-major m × features matrix; m is len(y).
//
// A Model keeps a workspace that LossGrad and Loss reuse, so after the first
// call (per block size) they do not allocate; for that reason one Model must
// not be used by several goroutines at once. Models are cheap: make one per
// goroutine.
type Model[T Float] struct {
	obj       Objective
	n, k      int
	intercept bool
	l2        float64
	impl      *blas.Impl
	blockRows int
	work      []T
}

func newModel[T Float](fn string, obj Objective, features, outputs int, opt Options) *Model[T] {
	if features < 1 || outputs < 1 {
		panic(fmt.Sprintf("linear: %s: features = %d, outputs = %d, want ≥ 1", fn, features, outputs))
	}
	if !(opt.L2 >= 0) || math.IsInf(opt.L2, 1) {
		panic(fmt.Sprintf("linear: %s: L2 = %v, want finite ≥ 0", fn, opt.L2))
	}
	if opt.BlockRows < 0 {
		panic(fmt.Sprintf("linear: %s: BlockRows = %d, want ≥ 0", fn, opt.BlockRows))
	}
	impl := opt.BLAS
	if impl == nil {
		impl = blas.Default()
	}
	br := opt.BlockRows
	if br == 0 {
		var z T
		rowBytes := features * int(sizeOf(z))
		br = max(minBlockRows, DefaultBlockBytes/rowBytes)
	}
	return &Model[T]{obj: obj, n: features, k: outputs, intercept: opt.Intercept, l2: opt.L2, impl: impl, blockRows: br}
}

func sizeOf[T Float](T) uintptr {
	var z T
	switch any(z).(type) {
	case float32:
		return 4
	}
	return 8
}

// NewLeastSquares returns a least-squares model with loss
//
//	L(θ) = 1/(2m) Σᵢ (xᵢ·w + b − yᵢ)² + (λ/2)‖w‖²
//
// (half the mean squared error). It panics if features < 1.
func NewLeastSquares[T Float](features int, opt Options) *Model[T] {
	return newModel[T]("NewLeastSquares", SquaredError, features, 1, opt)
}

// NewRidge is NewLeastSquares with opt.L2 = lambda.
func NewRidge[T Float](features int, lambda float64, opt Options) *Model[T] {
	opt.L2 = lambda
	return newModel[T]("NewRidge", SquaredError, features, 1, opt)
}

// NewLogistic returns a binary logistic-regression model with loss
//
//	L(θ) = 1/m Σᵢ [softplus(zᵢ) − yᵢ·zᵢ] + (λ/2)‖w‖²,  zᵢ = xᵢ·w + b,
//
// the mean binary cross-entropy −[y·log σ(z) + (1−y)·log σ(−z)] written so
// that it is finite for every finite z. Labels are 0 or 1 (values in between
// act as soft labels). It panics if features < 1.
func NewLogistic[T Float](features int, opt Options) *Model[T] {
	return newModel[T]("NewLogistic", BinaryCrossEntropy, features, 1, opt)
}

// NewSoftmax returns a multinomial (softmax) regression model over classes
// classes with loss
//
//	L(θ) = 1/m Σᵢ [logsumexp(zᵢ) − zᵢ[yᵢ]] + (λ/2)‖W‖²,  zᵢ = xᵢ·W + b,
//
// the mean cross-entropy of softmax(zᵢ) against class yᵢ. Labels are class
// indices 0 … classes−1 stored as T. It panics if features < 1 or classes < 2.
func NewSoftmax[T Float](features, classes int, opt Options) *Model[T] {
	if classes < 2 {
		panic(fmt.Sprintf("linear: NewSoftmax: classes = %d, want ≥ 2", classes))
	}
	return newModel[T]("NewSoftmax", CrossEntropy, features, classes, opt)
}

// Objective returns the model's loss.
func (md *Model[T]) Objective() Objective { return md.obj }

// Features returns n, the number of columns of X.
func (md *Model[T]) Features() int { return md.n }

// Outputs returns k: the number of classes for softmax, else 1.
func (md *Model[T]) Outputs() int { return md.k }

// NumParams returns len(θ): features·outputs, plus outputs with an intercept.
func (md *Model[T]) NumParams() int {
	if md.intercept {
		return (md.n + 1) * md.k
	}
	return md.n * md.k
}

// BlockRows returns the number of rows of X processed per block.
func (md *Model[T]) BlockRows() int { return md.blockRows }

// BLAS returns the BLAS implementation the model uses.
func (md *Model[T]) BLAS() *blas.Impl { return md.impl }

func (md *Model[T]) checkArgs(fn string, theta, x, y []T) int {
	if len(theta) != md.NumParams() {
		panic(fmt.Sprintf("linear: %s: len(theta) = %d, want %d (features %d, outputs %d, intercept %t)",
			fn, len(theta), md.NumParams(), md.n, md.k, md.intercept))
	}
	m := len(y)
	if len(x) != m*md.n {
		panic(fmt.Sprintf("linear: %s: len(X) = %d, want len(y)·features = %d·%d = %d",
			fn, len(x), m, md.n, m*md.n))
	}
	return m
}

// Loss returns L(θ) on X and y. It panics if len(theta) != NumParams() or
// len(X) != len(y)·Features(). NaN or ±Inf in X, y or θ, and (softmax)
// labels that are not class indices, make the loss NaN or ±Inf; Check
// reports them. With no rows the data term is 0.
func (md *Model[T]) Loss(theta, x, y []T) T {
	m := md.checkArgs("Loss", theta, x, y)
	return T(md.run(theta, x, y, nil, nil, m))
}

// LossGrad returns L(θ) and writes ∇L(θ) into grad. It panics if
// len(theta) != NumParams(), len(grad) != NumParams(), or len(X) !=
// len(y)·Features(). grad must not overlap theta, X or y. Non-finite inputs
// give a non-finite loss and gradient, as for Loss.
func (md *Model[T]) LossGrad(theta, x, y, grad []T) T {
	m := md.checkArgs("LossGrad", theta, x, y)
	if len(grad) != md.NumParams() {
		panic(fmt.Sprintf("linear: LossGrad: len(grad) = %d, want %d", len(grad), md.NumParams()))
	}
	return T(md.run(theta, x, y, grad, nil, m))
}

// LossGradInput is LossGrad that also writes into dx the gradient of the
// loss with respect to the inputs X, for a linear model that is a
// network's output layer: dx = (1/m)·R·Wᵀ, row-major m × Features(), with
// R the residual of each row (∂ of its loss with respect to its outputs;
// the penalty does not depend on X). It panics as LossGrad does, or if
// len(dx) != len(X); dx must not overlap the other arguments.
func (md *Model[T]) LossGradInput(theta, x, y, grad, dx []T) T {
	m := md.checkArgs("LossGradInput", theta, x, y)
	if len(grad) != md.NumParams() {
		panic(fmt.Sprintf("linear: LossGradInput: len(grad) = %d, want %d", len(grad), md.NumParams()))
	}
	if len(dx) != len(x) {
		panic(fmt.Sprintf("linear: LossGradInput: len(dx) = %d, want len(X) = %d", len(dx), len(x)))
	}
	return T(md.run(theta, x, y, grad, dx, m))
}

// run computes the loss and, when grad is not nil, the gradient, one block
// of rows at a time: Z = X_b·W (+b), then the elementwise loss and residual
// R (in place of Z), then grad_W += (1/m)·X_bᵀ·R while X_b is still in cache.
func (md *Model[T]) run(theta, x, y, grad, dx []T, m int) float64 {
	n, k := md.n, md.k
	w := theta[:n*k]
	var bias []T
	if md.intercept {
		bias = theta[n*k:]
	}
	br := min(md.blockRows, max(m, 1))
	if cap(md.work) < br*k {
		md.work = make([]T, br*k)
	}
	z := md.work[:br*k]
	var inv T
	if m > 0 {
		inv = T(1 / float64(m))
	}
	if grad != nil {
		clear(grad)
	}
	var sum float64
	for r0 := 0; r0 < m; r0 += br {
		mb := min(br, m-r0)
		xb := x[r0*n : (r0+mb)*n]
		yb := y[r0 : r0+mb]
		zb := z[:mb*k]
		// Z = X_b·W
		if k == 1 {
			blas.Gemv(md.impl, blas.NoTrans, mb, n, 1, xb, n, w, 1, 0, zb, 1)
		} else {
			gemm(md.impl, blas.NoTrans, mb, k, n, 1, xb, n, w, k, 0, zb, k)
		}
		if bias != nil {
			addBias(zb, bias)
		}
		sum += residual(md.obj, zb, yb, k)
		if dx != nil {
			// dX_b = (1/m)·R·Wᵀ
			blas.Gemm(md.impl, blas.NoTrans, blas.Trans, mb, n, k, inv, zb, k, w, k, 0, dx[r0*n:(r0+mb)*n], n)
		}
		if grad == nil {
			continue
		}
		// grad_W += (1/m)·X_bᵀ·R
		if k == 1 {
			blas.Gemv(md.impl, blas.Trans, mb, n, inv, xb, n, zb, 1, 1, grad, 1)
		} else {
			gemm(md.impl, blas.Trans, n, k, mb, inv, xb, n, zb, k, 1, grad[:n*k], k)
		}
		if bias != nil {
			colSums(grad[n*k:], zb, inv)
		}
	}
	loss := 0.0
	if m > 0 {
		loss = sum / float64(m)
	}
	if md.l2 != 0 {
		var ww float64
		for _, v := range w {
			ww += float64(v) * float64(v)
		}
		loss += md.l2 / 2 * ww
		if grad != nil {
			blas.Axpy(md.impl, n*k, T(md.l2), w, 1, grad[:n*k], 1)
		}
	}
	return loss
}

func addBias[T Float](z, b []T) {
	k := len(b)
	if k == 1 {
		b0 := b[0]
		for i := range z {
			z[i] += b0
		}
		return
	}
	for i := 0; i < len(z); i += k {
		row := z[i : i+k]
		for j := range row {
			row[j] += b[j]
		}
	}
}

// colSums adds scale·(column sums of the row-major len(z)/k × k matrix z)
// to g (k = len(g)), summing in float64.
func colSums[T Float](g, z []T, scale T) {
	k := len(g)
	if k == 1 {
		var s float64
		for _, v := range z {
			s += float64(v)
		}
		g[0] += T(s) * scale
		return
	}
	for j := 0; j < k; j++ {
		var s float64
		for i := j; i < len(z); i += k {
			s += float64(z[i])
		}
		g[j] += T(s) * scale
	}
}

// residual replaces the logits z (mb×k) by ∂loss/∂z and returns the summed
// loss of the block in float64.
func residual[T Float](obj Objective, z, y []T, k int) float64 {
	var sum float64
	switch obj {
	case SquaredError:
		for i, yi := range y {
			r := float64(z[i]) - float64(yi)
			sum += r * r
			z[i] = T(r)
		}
		return sum / 2
	case BinaryCrossEntropy:
		if _, is64 := any(sum).(T); is64 {
			for i, yi := range y {
				zi, yf := float64(z[i]), float64(yi)
				sp, sg := elem.LogisticParts(zi)
				sum += sp - yf*zi
				z[i] = T(sg - yf)
			}
			return sum
		}
		// float32: widen a chunk at a time (see elem.Widen: 3× faster).
		var zbuf, ybuf [elem.Chunk]float64
		for i0 := 0; i0 < len(y); i0 += elem.Chunk {
			zs := elem.Widen(&zbuf, z[i0:])
			ys := elem.Widen(&ybuf, y[i0:])
			for j, zi := range zs {
				yf := ys[j]
				sp, sg := elem.LogisticParts(zi)
				sum += sp - yf*zi
				z[i0+j] = T(sg - yf)
			}
		}
		return sum
	default:
		for i, yi := range y {
			row := z[i*k : (i+1)*k]
			c := int(yi)
			valid := T(c) == yi && c >= 0 && c < k
			var zc float64
			if valid {
				zc = float64(row[c])
			}
			lse := float64(elem.Softmax(row, row))
			if !valid {
				// Not a class index (NaN, ±Inf, fractional, out of range).
				sum = math.NaN()
				for j := range row {
					row[j] = T(math.NaN())
				}
				continue
			}
			sum += lse - zc
			row[c]--
		}
		return sum
	}
}

// Predict writes the model's outputs for the rows of X into out: fitted
// values (least squares), P(y = 1) (logistic), or a row-major m × classes
// matrix of class probabilities (softmax). It panics if len(theta) !=
// NumParams(), len(X) is not a multiple of Features(), or len(out) !=
// rows·Outputs(). It does not allocate and does not use the workspace, so
// it may run concurrently with other Predict calls on the same Model.
func (md *Model[T]) Predict(theta, x, out []T) {
	m := md.checkPredict("Predict", theta, x)
	if len(out) != m*md.k {
		panic(fmt.Sprintf("linear: Predict: len(out) = %d, want rows·outputs = %d·%d = %d", len(out), m, md.k, m*md.k))
	}
	md.logits(theta, x, out, m)
	switch md.obj {
	case BinaryCrossEntropy:
		elem.SigmoidTo(out, out)
	case CrossEntropy:
		elem.SoftmaxRows(out, out, md.k, nil)
	}
}

// Logits writes X·W + b into out (m × Outputs()), with the panics of Predict.
func (md *Model[T]) Logits(theta, x, out []T) {
	m := md.checkPredict("Logits", theta, x)
	if len(out) != m*md.k {
		panic(fmt.Sprintf("linear: Logits: len(out) = %d, want rows·outputs = %d·%d = %d", len(out), m, md.k, m*md.k))
	}
	md.logits(theta, x, out, m)
}

func (md *Model[T]) checkPredict(fn string, theta, x []T) int {
	if len(theta) != md.NumParams() {
		panic(fmt.Sprintf("linear: %s: len(theta) = %d, want %d (features %d, outputs %d, intercept %t)",
			fn, len(theta), md.NumParams(), md.n, md.k, md.intercept))
	}
	if len(x)%md.n != 0 {
		panic(fmt.Sprintf("linear: %s: len(X) = %d is not a multiple of features = %d", fn, len(x), md.n))
	}
	return len(x) / md.n
}

func (md *Model[T]) logits(theta, x, out []T, m int) {
	if m == 0 {
		return
	}
	n, k := md.n, md.k
	w := theta[:n*k]
	if k == 1 {
		blas.Gemv(md.impl, blas.NoTrans, m, n, 1, x, n, w, 1, 0, out, 1)
	} else {
		gemm(md.impl, blas.NoTrans, m, k, n, 1, x, n, w, k, 0, out, k)
	}
	if md.intercept {
		addBias(out, theta[n*k:])
	}
}

// Classify writes the predicted class of each row of X into labels: 1 where
// the logit is ≥ 0 (logistic), or the most probable class, the first on
// ties (softmax). scratch must hold rows·Outputs() values; it receives the
// logits. It panics for a least-squares model, and on the size errors of
// Predict or if len(labels) != rows.
func (md *Model[T]) Classify(theta, x, scratch []T, labels []int) {
	if md.obj == SquaredError {
		panic("linear: Classify: squared-error model has no classes")
	}
	m := md.checkPredict("Classify", theta, x)
	if len(labels) != m || len(scratch) != m*md.k {
		panic(fmt.Sprintf("linear: Classify: len(labels) = %d, len(scratch) = %d, want %d and %d", len(labels), len(scratch), m, m*md.k))
	}
	md.logits(theta, x, scratch, m)
	if md.k == 1 {
		for i, z := range scratch {
			labels[i] = 0
			if z >= 0 {
				labels[i] = 1
			}
		}
		return
	}
	for i := range labels {
		row := scratch[i*md.k : (i+1)*md.k]
		best := 0
		for j, v := range row {
			if v > row[best] {
				best = j
			}
		}
		labels[i] = best
	}
}

// ErrNonFinite is wrapped by Check's errors for NaN or ±Inf in X or y.
var ErrNonFinite = errors.New("non-finite value")

// ErrLabel is wrapped by Check's errors for labels the objective does not
// accept.
var ErrLabel = errors.New("invalid label")

// Check reports the first NaN or ±Inf in X or y (wrapping ErrNonFinite), and
// labels the objective does not accept (wrapping ErrLabel): for logistic,
// labels outside [0, 1]; for softmax, labels that are not integers in
// [0, classes). It returns nil if the data are valid. It panics on the size
// errors of Loss (with θ's length not checked).
func (md *Model[T]) Check(x, y []T) error {
	m := len(y)
	if len(x) != m*md.n {
		panic(fmt.Sprintf("linear: Check: len(X) = %d, want len(y)·features = %d·%d = %d", len(x), m, md.n, m*md.n))
	}
	for i, v := range x {
		if f := float64(v); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("linear: X[%d] (row %d, column %d) = %v: %w", i, i/md.n, i%md.n, f, ErrNonFinite)
		}
	}
	for i, v := range y {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("linear: y[%d] = %v: %w", i, f, ErrNonFinite)
		}
		switch md.obj {
		case BinaryCrossEntropy:
			if f < 0 || f > 1 {
				return fmt.Errorf("linear: y[%d] = %v, want a label in [0, 1]: %w", i, f, ErrLabel)
			}
		case CrossEntropy:
			if f != math.Trunc(f) || f < 0 || f >= float64(md.k) {
				return fmt.Errorf("linear: y[%d] = %v, want a class index in [0, %d): %w", i, f, md.k, ErrLabel)
			}
		}
	}
	return nil
}

// gonumTile is the tile size below which gonum's Dgemm runs serially: it
// goes parallel, starting goroutines and allocating, once C spans 4 or more
// blocks of 64×64 (gonum.org/v1/gonum/blas/gonum: blockSize, minParBlock).
const gonumTile = 64

// gemm computes C = alpha·op(A)·B + beta·C (C m×n, op(A) m×k). For the
// pure-Go backend it splits C into 64×64 tiles, so that gonum stays on its
// serial path: no allocation, and no threads beyond the caller's goroutine,
// like OpenBLAS at its default of one thread.
func gemm[T Float](impl *blas.Impl, tA blas.Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if impl != blas.Gonum || (m <= gonumTile && n <= 3*gonumTile) || (n <= gonumTile && m <= 3*gonumTile) {
		blas.Gemm(impl, tA, blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	for i0 := 0; i0 < m; i0 += gonumTile {
		mi := min(gonumTile, m-i0)
		off := i0 // op(A) = Aᵀ: row i0 of op(A) is column i0 of A
		if tA == blas.NoTrans {
			off = i0 * lda
		}
		for j0 := 0; j0 < n; j0 += gonumTile {
			nj := min(gonumTile, n-j0)
			blas.Gemm(impl, tA, blas.NoTrans, mi, nj, k, alpha, a[off:], lda, b[j0:], ldb, beta, c[i0*ldc+j0:], ldc)
		}
	}
}
