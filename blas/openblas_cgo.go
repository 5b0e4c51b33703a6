//go:build cgo && !noopenblas

package blas

/*
#cgo pkg-config: openblas

// Declared here rather than taken from OpenBLAS's cblas.h, whose location
// differs between distributions; these functions are in every libopenblas.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
char* openblas_get_config(void);
char* openblas_get_corename(void);
*/
import "C"

import (
	"os"
	"strconv"

	"gonum.org/v1/netlib/blas/netlib"
)

var openBLAS = &Impl{Float32: netlib.Implementation{}, Float64: netlib.Implementation{}, name: "openblas"}

func init() {
	SetThreads(threadsFromEnv(os.Getenv("DESCENT_BLAS_THREADS"), os.Getenv("OPENBLAS_NUM_THREADS"), int(C.openblas_get_num_threads())))
}

// SetThreads sets the number of threads OpenBLAS uses for one call. It
// panics if n < 1. It is a no-op without OpenBLAS.
func SetThreads(n int) {
	if n < 1 {
		panic("blas: SetThreads: n = " + strconv.Itoa(n) + " < 1")
	}
	C.openblas_set_num_threads(C.int(n))
}

// Threads returns the number of threads OpenBLAS uses for one call (1
// without OpenBLAS).
func Threads() int { return int(C.openblas_get_num_threads()) }

// Config returns OpenBLAS's build description (version, build options)
// followed by the core its kernels were chosen for at run time, e.g.
// "OpenBLAS 0.3.21 DYNAMIC_ARCH … core=SkylakeX", or "gonum (pure Go)"
// without OpenBLAS.
func Config() string {
	return C.GoString(C.openblas_get_config()) + " core=" + C.GoString(C.openblas_get_corename())
}
