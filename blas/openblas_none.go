//go:build !cgo || noopenblas

package blas

import "strconv"

var openBLAS *Impl

// SetThreads sets the number of threads OpenBLAS uses for one call. It
// panics if n < 1. It is a no-op without OpenBLAS.
func SetThreads(n int) {
	if n < 1 {
		panic("blas: SetThreads: n = " + strconv.Itoa(n) + " < 1")
	}
}

// Threads returns the number of threads OpenBLAS uses for one call (1
// without OpenBLAS).
func Threads() int { return 1 }

// Config returns OpenBLAS's build description (version, build options)
// followed by the core its kernels were chosen for at run time, e.g.
// "OpenBLAS 0.3.21 DYNAMIC_ARCH … core=SkylakeX", or "gonum (pure Go)"
// without OpenBLAS.
func Config() string { return "gonum (pure Go)" }
