// Package blas is descent's BLAS backend: the Level 1, 2 and 3 routines the
// linear models use, for float32 and float64, from either OpenBLAS or gonum's
// pure-Go BLAS.
//
// # Implementations
//
// An [Impl] carries one BLAS implementation for both element types (it embeds
// gonum's [gonum.org/v1/gonum/blas.Float32] and [gonum.org/v1/gonum/blas.Float64]
// interfaces, so impl.Dgemv, impl.Sgemm … are the usual gonum calls). Two are
// defined:
//
//   - [OpenBLAS]: gonum.org/v1/netlib/blas/netlib (cgo bindings to the C BLAS
//     interface) linked against OpenBLAS. It is nil when the package is built
//     with CGO_ENABLED=0 or with the build tag noopenblas.
//   - [Gonum]: gonum.org/v1/gonum/blas/gonum, pure Go, always available.
//
// [Default] is OpenBLAS when it is built in, Gonum otherwise; [Backend] names
// it ("openblas" or "gonum"). The environment variable DESCENT_BLAS=gonum
// (or =openblas), read once at start-up, overrides that choice; asking for
// openblas where it is not built in keeps gonum. Both implementations are
// compiled into the same binary when OpenBLAS is available, so tests and
// benchmarks compare them side by side.
//
// The generic functions [Dot], [Axpy], [Scal], [Nrm2], [Asum], [Gemv], [Ger] and
// [Gemm] take the implementation as their first argument (nil means [Default])
// and dispatch on the element type without allocating. Their arguments follow
// the gonum/CBLAS conventions: row-major matrices with a leading dimension,
// vector increments, and panics on invalid arguments (bad sizes, short
// slices, zero increments) with gonum's messages.
//
// # Linking OpenBLAS
//
// netlib's cgo file (blas/netlib/blas.go in the gonum.org/v1/netlib module)
// has only "#cgo CFLAGS: -g -O2" and no LDFLAGS: it leaves the choice of C
// BLAS library to the user, who is expected to set
// CGO_LDFLAGS="-L/path -lopenblas". This package instead carries
//
//	#cgo pkg-config: openblas
//
// in its own cgo file (openblas_cgo.go). The go command collects the linker
// flags of every cgo package in the final link, so the cblas_* symbols that
// netlib's object files leave undefined are resolved against the libopenblas
// that pkg-config names (on Debian and Ubuntu: the libopenblas-dev package,
// whose openblas.pc points at /usr/lib/<triplet>/openblas-pthread), and users
// set no flags. The same library provides openblas_set_num_threads, which this
// package declares itself, so no OpenBLAS header is needed at build time.
//
// When pkg-config or openblas.pc is missing, the build fails with
// "Package openblas was not found in the pkg-config search path" (or
// "pkg-config: exec: not found"). Either install the library (Debian/Ubuntu:
// apt-get install libopenblas-dev pkg-config) or build without it:
// go build -tags noopenblas, or CGO_ENABLED=0. Both give the pure-Go
// backend with the same API.
//
// # Threads
//
// OpenBLAS runs its own thread pool, by default as many threads as cores. A
// Go program that calls BLAS from many goroutines at once would then run
// goroutines × cores threads and oversubscribe the machine. This package
// therefore sets OpenBLAS to 1 thread when it starts, unless the environment
// variable OPENBLAS_NUM_THREADS (or DESCENT_BLAS_THREADS, which wins) is set,
// in which case that value is kept. Concurrency then comes from goroutines.
// A program that makes one large call at a time can raise it with
// [SetThreads]; [Threads] reports the current value. Without OpenBLAS both are
// no-ops that report 1 (gonum's Gemm parallelises over GOMAXPROCS by itself;
// its Level 1 and 2 routines are single-threaded).
//
// # Agreement
//
// The two implementations order their sums differently and OpenBLAS uses
// FMA, so results agree to rounding, not bit for bit: for a dot product of
// length n the difference is bounded by about 2·n·ε·Σ|xᵢyᵢ| (ε the unit
// round-off of the element type), which the tests check.
package blas
