package kernels

import (
	"fmt"
	"strings"

	"github.com/descent-go/descent/kernels/asm"
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

// updateFlags packs the variant flags of an update kernel. unitScale and
// unitDecay say a multiplier is exactly 1: the assembly may skip the
// multiply (x·1 = x for every x, NaN aside, whose payload is not part of the
// contract); the reference ignores them.
func updateFlags(l2, nesterov, first, unitScale, unitDecay bool) uint64 {
	var f uint64
	if l2 {
		f |= asm.FlagL2
	}
	if nesterov {
		f |= asm.FlagNesterov
	}
	if first {
		f |= asm.FlagFirst
	}
	if unitScale {
		f |= asm.FlagUnitScale
	}
	if unitDecay {
		f |= asm.FlagUnitDecay
	}
	return f
}

// Variant flags of the new kernels until the generator's layout names
// them.
const (
	flagL2       = 1
	flagCentered = 32
	flagMomentum = 64
)

// coeffs rounds the scalars of one step, in slot order, once to T.
func coeffs[T Float](n int, xs ...float64) [16]T {
	var c [16]T
	for i, x := range xs[:n] {
		c[i] = T(x)
	}
	return c
}
