package blas

import (
	"os"
	"unsafe"

	gblas "gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Float is the element types the generic routines accept.
type Float interface{ float32 | float64 }

// Transpose says whether a matrix argument is used as is or transposed.
type Transpose = gblas.Transpose

// Transpose values.
const (
	NoTrans = gblas.NoTrans
	Trans   = gblas.Trans
)

// Impl is one BLAS implementation for float32 and float64. Its methods are
// gonum's blas.Float32 and blas.Float64 interfaces (Sdot, Dgemv, Sgemm …).
type Impl struct {
	gblas.Float32
	gblas.Float64
	name string
}

// Name is "openblas" or "gonum".
func (i *Impl) Name() string { return i.name }

// String returns Name.
func (i *Impl) String() string { return i.name }

// Gonum is gonum's pure-Go BLAS.
var Gonum = &Impl{Float32: gonum.Implementation{}, Float64: gonum.Implementation{}, name: "gonum"}

// OpenBLAS is OpenBLAS through gonum.org/v1/netlib/blas/netlib, or nil where
// the package was built without cgo or with the noopenblas tag.
var OpenBLAS = openBLAS

var def = chooseDefault(os.Getenv("DESCENT_BLAS"))

func chooseDefault(env string) *Impl {
	if env == "gonum" || OpenBLAS == nil {
		return Gonum
	}
	return OpenBLAS
}

// Default is the implementation used when nil is passed: OpenBLAS when built
// in, else Gonum; DESCENT_BLAS=gonum at start-up selects Gonum.
func Default() *Impl { return def }

// Backend names the default implementation: "openblas" or "gonum".
func Backend() string { return def.name }

// Available lists the implementations built into this binary, default first.
func Available() []*Impl {
	if OpenBLAS == nil {
		return []*Impl{Gonum}
	}
	if def == Gonum {
		return []*Impl{Gonum, OpenBLAS}
	}
	return []*Impl{OpenBLAS, Gonum}
}

func pick(i *Impl) *Impl {
	if i == nil {
		return def
	}
	return i
}

// is64 reports whether T is float64. T is exactly float32 or float64, so the
// size decides, and the branch is resolved at compile time.
func is64[T Float]() bool {
	var z T
	return unsafe.Sizeof(z) == 8
}

func f64[T Float](s []T) []float64 {
	return unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

func f32[T Float](s []T) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// Dot returns Σ x[i]·y[i] over n strided elements (Ddot / Sdot).
func Dot[T Float](impl *Impl, n int, x []T, incX int, y []T, incY int) T {
	impl = pick(impl)
	if is64[T]() {
		return T(impl.Ddot(n, f64(x), incX, f64(y), incY))
	}
	return T(impl.Sdot(n, f32(x), incX, f32(y), incY))
}

// Axpy computes y += alpha·x (Daxpy / Saxpy).
func Axpy[T Float](impl *Impl, n int, alpha T, x []T, incX int, y []T, incY int) {
	impl = pick(impl)
	if is64[T]() {
		impl.Daxpy(n, float64(alpha), f64(x), incX, f64(y), incY)
		return
	}
	impl.Saxpy(n, float32(alpha), f32(x), incX, f32(y), incY)
}

// Scal computes x *= alpha (Dscal / Sscal).
func Scal[T Float](impl *Impl, n int, alpha T, x []T, incX int) {
	impl = pick(impl)
	if is64[T]() {
		impl.Dscal(n, float64(alpha), f64(x), incX)
		return
	}
	impl.Sscal(n, float32(alpha), f32(x), incX)
}

// Nrm2 returns the Euclidean norm of x (Dnrm2 / Snrm2).
func Nrm2[T Float](impl *Impl, n int, x []T, incX int) T {
	impl = pick(impl)
	if is64[T]() {
		return T(impl.Dnrm2(n, f64(x), incX))
	}
	return T(impl.Snrm2(n, f32(x), incX))
}

// Asum returns Σ |x[i]| (Dasum / Sasum).
func Asum[T Float](impl *Impl, n int, x []T, incX int) T {
	impl = pick(impl)
	if is64[T]() {
		return T(impl.Dasum(n, f64(x), incX))
	}
	return T(impl.Sasum(n, f32(x), incX))
}

// Gemv computes y = alpha·op(A)·x + beta·y for the row-major m×n matrix A
// with leading dimension lda, op(A) = A or Aᵀ (Dgemv / Sgemv).
func Gemv[T Float](impl *Impl, tA Transpose, m, n int, alpha T, a []T, lda int, x []T, incX int, beta T, y []T, incY int) {
	impl = pick(impl)
	if is64[T]() {
		impl.Dgemv(tA, m, n, float64(alpha), f64(a), lda, f64(x), incX, float64(beta), f64(y), incY)
		return
	}
	impl.Sgemv(tA, m, n, float32(alpha), f32(a), lda, f32(x), incX, float32(beta), f32(y), incY)
}

// Ger computes A += alpha·x·yᵀ for the row-major m×n matrix A (Dger / Sger).
func Ger[T Float](impl *Impl, m, n int, alpha T, x []T, incX int, y []T, incY int, a []T, lda int) {
	impl = pick(impl)
	if is64[T]() {
		impl.Dger(m, n, float64(alpha), f64(x), incX, f64(y), incY, f64(a), lda)
		return
	}
	impl.Sger(m, n, float32(alpha), f32(x), incX, f32(y), incY, f32(a), lda)
}

// Gemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices, op(A)
// m×k, op(B) k×n, C m×n (Dgemm / Sgemm).
func Gemm[T Float](impl *Impl, tA, tB Transpose, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	impl = pick(impl)
	if is64[T]() {
		impl.Dgemm(tA, tB, m, n, k, float64(alpha), f64(a), lda, f64(b), ldb, float64(beta), f64(c), ldc)
		return
	}
	impl.Sgemm(tA, tB, m, n, k, float32(alpha), f32(a), lda, f32(b), ldb, float32(beta), f32(c), ldc)
}
