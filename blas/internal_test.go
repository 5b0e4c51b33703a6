package blas

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestThreadsFromEnv(t *testing.T) {
	assert.Equal(t, 1, threadsFromEnv("", "", 16), "default ignores OpenBLAS's core count")
	assert.Equal(t, 4, threadsFromEnv("4", "", 16))
	assert.Equal(t, 4, threadsFromEnv("4", "8", 8))
	assert.Equal(t, 8, threadsFromEnv("", "8", 8), "OPENBLAS_NUM_THREADS is kept")
	assert.Equal(t, 1, threadsFromEnv("zero", "", 16))
	assert.Equal(t, 1, threadsFromEnv("0", "", 16))
}

func TestChooseDefault(t *testing.T) {
	assert.Equal(t, Gonum, chooseDefault("gonum"))
	if OpenBLAS != nil {
		assert.Equal(t, OpenBLAS, chooseDefault(""))
		assert.Equal(t, OpenBLAS, chooseDefault("openblas"))
	} else {
		assert.Equal(t, Gonum, chooseDefault("openblas"))
	}
}
