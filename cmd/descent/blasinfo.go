package main

import (
	"fmt"

	"github.com/descent-go/descent/blas"
)

// blasInfo describes the BLAS backend the linear models use.
func blasInfo() []string {
	return []string{fmt.Sprintf("blas:       %s, %d thread(s) (%s)", blas.Backend(), blas.Threads(), blas.Config())}
}
