package kernels

import (
	"fmt"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// EMA moves avg towards p by the weight 1 − decay, the exponential moving
// average of parameters that evaluation often uses (PyTorch's
// AveragedModel with get_ema_multi_avg_fn, timm's ModelEmaV2):
//
//	for i := range avg {
//		avg[i] = avg[i] + Weight·(p[i] − avg[i])
//	}
//
// with Weight = 1 − decay computed in float64 and rounded once to T, the
// product and the difference each rounded (PyTorch's lerp for weights
// below 0.5). decay 1 leaves avg unchanged, decay 0 copies p. It panics if
// the lengths differ or decay is not in [0, 1].
func EMA[T Float](avg, p []T, decay float64) {
	checkLens[T]("EMA", "avg, p", len(avg), len(p))
	if !(decay >= 0 && decay <= 1) {
		panic(fmt.Sprintf("kernels: %s: decay %v not in [0, 1]", fname[T]("EMA"), decay))
	}
	table[T]().EMA(avg, p, [asm.EMAN]T{asm.EMAWeight: T(1 - decay)}, 0)
}

func init() { ref32.EMA, ref64.EMA = emaRef[float32], emaRef[float64] }

// emaRef: avg[i] = avg[i] + c[Weight]·(p[i] − avg[i]).
func emaRef[T Float](avg, p []T, c [asm.EMAN]T, _ uint64) {
	p = p[:len(avg)]
	for i := range avg {
		avg[i] += T(c[asm.EMAWeight] * (p[i] - avg[i]))
	}
}
