package blas

import "strconv"

// threadsFromEnv picks OpenBLAS's thread count at start-up: DESCENT_BLAS_THREADS
// if it is a positive integer, else the count OpenBLAS already read from
// OPENBLAS_NUM_THREADS if that is set, else 1.
func threadsFromEnv(descent, openblasEnv string, current int) int {
	if n, err := strconv.Atoi(descent); err == nil && n >= 1 {
		return n
	}
	if openblasEnv != "" && current >= 1 {
		return current
	}
	return 1
}
