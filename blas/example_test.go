package blas_test

import (
	"fmt"

	"github.com/descent-go/descent/blas"
)

// Gemv on a row-major 2×3 matrix, with whichever backend is the default.
func ExampleGemv() {
	a := []float64{
		1, 2, 3,
		4, 5, 6,
	}
	x := []float64{1, 0, -1}
	y := make([]float64, 2)
	blas.Gemv(nil, blas.NoTrans, 2, 3, 1, a, 3, x, 1, 0, y, 1)
	fmt.Println(y)

	// Aᵀ·r, with float32 and the pure-Go backend named explicitly.
	a32 := []float32{1, 2, 3, 4, 5, 6}
	r := []float32{1, 1}
	g := make([]float32, 3)
	blas.Gemv(blas.Gonum, blas.Trans, 2, 3, 1, a32, 3, r, 1, 0, g, 1)
	fmt.Println(g)
	// Output:
	// [-2 -2]
	// [5 7 9]
}

func ExampleBackend() {
	b := blas.Backend()
	fmt.Println(b == "openblas" || b == "gonum")
	// Output: true
}
