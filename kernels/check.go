package kernels

import (
	"fmt"
	"strings"
)

// checkLens panics unless every length in ls equals n. names lists the
// slices, n's first ("p, g, m, v"); the message names the function and every
// length, as gonum's do:
//
//	kernels: AdamStep[float32]: slice lengths differ: len(p)=4 len(g)=5 len(m)=4 len(v)=4
func checkLens[T Float](fn, names string, n int, ls ...int) {
	for _, l := range ls {
		if l != n {
			panic(lengthError(fname[T](fn), names, n, ls))
		}
	}
}

func lengthError(fn, names string, n int, ls []int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "kernels: %s: slice lengths differ:", fn)
	for i, name := range strings.Split(names, ", ") {
		l := n
		if i > 0 && i-1 < len(ls) {
			l = ls[i-1]
		}
		fmt.Fprintf(&b, " len(%s)=%d", name, l)
	}
	return b.String()
}
