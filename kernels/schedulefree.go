package kernels

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// ScheduleFree holds the hyper-parameters of Schedule-Free AdamW (Defazio et
// al. 2024, "The Road Less Scheduled") with the meaning of
// facebookresearch/schedule_free's AdamWScheduleFree. The zero value is not
// valid; start from DefaultScheduleFree.
type ScheduleFree struct {
	LR            float64 // learning rate, ≥ 0
	Beta1         float64 // interpolation between z and the average x, in [0, 1)
	Beta2         float64 // second-moment decay, in [0, 1)
	Eps           float64 // > 0
	WeightDecay   float64 // λ ≥ 0, applied to the gradient at y
	WarmupSteps   float64 // linear warm-up of the learning rate over this many steps (an integer ≥ 0)
	R             float64 // r ≥ 0: the average's weights grow as t^r
	WeightLRPower float64 // ≥ 0: the average's weights grow as lr_max^power
}

// DefaultScheduleFree returns AdamWScheduleFree's defaults: lr 0.0025,
// betas (0.9, 0.999), eps 1e-8, no weight decay or warm-up, r 0, weight-lr
// power 2.
func DefaultScheduleFree() ScheduleFree {
	return ScheduleFree{LR: 0.0025, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightLRPower: 2}
}

// Validate reports the first hyper-parameter outside its range.
func (h ScheduleFree) Validate() error {
	switch {
	case !(h.LR >= 0) || math.IsInf(h.LR, 1):
		return fmt.Errorf("kernels: ScheduleFree: learning rate %v must be finite and ≥ 0", h.LR)
	case !(h.Beta1 > 0 && h.Beta1 < 1):
		return fmt.Errorf("kernels: ScheduleFree: beta1 %v must be in (0, 1)", h.Beta1)
	case !(h.Beta2 >= 0 && h.Beta2 < 1):
		return fmt.Errorf("kernels: ScheduleFree: beta2 %v must be in [0, 1)", h.Beta2)
	case !(h.Eps > 0) || math.IsInf(h.Eps, 1):
		return fmt.Errorf("kernels: ScheduleFree: eps %v must be finite and > 0", h.Eps)
	case !(h.WeightDecay >= 0) || math.IsInf(h.WeightDecay, 1):
		return fmt.Errorf("kernels: ScheduleFree: weight decay %v must be finite and ≥ 0", h.WeightDecay)
	case !(h.WarmupSteps >= 0 && h.WarmupSteps <= 1e15) || h.WarmupSteps != math.Trunc(h.WarmupSteps):
		return fmt.Errorf("kernels: ScheduleFree: warmup_steps %v must be an integer in [0, 1e15]", h.WarmupSteps)
	case !(h.R >= 0) || math.IsInf(h.R, 1):
		return fmt.Errorf("kernels: ScheduleFree: r %v must be finite and ≥ 0", h.R)
	case !(h.WeightLRPower >= 0) || math.IsInf(h.WeightLRPower, 1):
		return fmt.Errorf("kernels: ScheduleFree: weight_lr_power %v must be finite and ≥ 0", h.WeightLRPower)
	}
	return nil
}

// ScheduleFreeScalars are the scalars of one Schedule-Free step and the
// running values they are computed from (WeightSum, LRMax: a group's state
// between steps, kept in checkpoints).
type ScheduleFreeScalars struct {
	GradScale     float64 // g ← grad·GradScale
	Beta2         float64
	OneMinusBeta2 float64
	InvSqrtBC2    float64 // 1/sqrt(1 − β2^t)
	Eps           float64
	WeightDecay   float64
	Ckp1          float64 // c = weight/WeightSum: y moves by c towards z
	YStep         float64 // lr·(β1·(1 − c) − 1)
	LR            float64 // the warmed-up learning rate of the step

	WeightSum float64 // Σ of the average's weights so far
	LRMax     float64 // the largest warmed-up learning rate so far
}

// Next advances s to step t (t ≥ 1) with learning rate h.LR, for a gradient
// multiplied by gradScale, as AdamWScheduleFree.step does with k = t−1:
//
//	lr := h.LR·min(1, t/WarmupSteps)
//	LRMax = max(LRMax, lr)
//	weight := t^R · LRMax^WeightLRPower
//	WeightSum += weight
//	Ckp1 = weight/WeightSum (0 when WeightSum is 0)
//	YStep = lr·(β1·(1 − Ckp1) − 1)
//
// all in float64, every product rounded (no fused multiply-add). The zero
// ScheduleFreeScalars is the state before the first step. It panics if t <
// 1.
func (h ScheduleFree) Next(s *ScheduleFreeScalars, t int, gradScale float64) {
	if t < 1 {
		panic(fmt.Sprintf("kernels: ScheduleFree.Next: step %d < 1", t))
	}
	sched := 1.0
	if float64(t-1) < h.WarmupSteps {
		sched = float64(t) / h.WarmupSteps
	}
	lr := float64(h.LR * sched)
	s.LRMax = max(s.LRMax, lr)
	weight := float64(math.Pow(float64(t), h.R) * math.Pow(s.LRMax, h.WeightLRPower))
	s.WeightSum += weight
	s.Ckp1 = 0
	if s.WeightSum != 0 {
		s.Ckp1 = weight / s.WeightSum
	}
	s.GradScale, s.Beta2, s.OneMinusBeta2 = gradScale, h.Beta2, 1-h.Beta2
	s.InvSqrtBC2 = 1 / math.Sqrt(oneMinusPow(h.Beta2, t))
	s.Eps, s.WeightDecay, s.LR = h.Eps, h.WeightDecay, lr
	s.YStep = lr * (float64(h.Beta1*(1-s.Ckp1)) - 1)
}

// ScheduleFreeStep does one Schedule-Free AdamW step on the gradient point
// y (what the parameters hold in training mode), with gradient g (taken at
// y), base sequence z and second moment v:
//
//	for i := range y {
//		g := g[i]·GradScale
//		if first { z[i] = y[i] }                        // z starts at the parameters
//		v[i] = Beta2·v[i] + (OneMinusBeta2·g)·g
//		u := g / (sqrt(v[i])·InvSqrtBC2 + Eps)
//		if WeightDecay != 0 { u = u + WeightDecay·y[i] }
//		y[i] = (y[i] + Ckp1·(z[i] − y[i])) + YStep·u
//		z[i] = z[i] − LR·u
//	}
//
// with s's scalars rounded once to T and every operation rounded to T. It
// panics if the lengths differ.
func ScheduleFreeStep[T Float](y, g, z, v []T, s *ScheduleFreeScalars, first bool) {
	checkLens[T]("ScheduleFreeStep", "y, g, z, v", len(y), len(g), len(z), len(v))
	var c [asm.ScheduleFreeN]T
	c[asm.ScheduleFreeGradScale], c[asm.ScheduleFreeBeta2], c[asm.ScheduleFreeOneMinusBeta2] = T(s.GradScale), T(s.Beta2), T(s.OneMinusBeta2)
	c[asm.ScheduleFreeInvSqrtBC2], c[asm.ScheduleFreeEps], c[asm.ScheduleFreeWeightDecay] = T(s.InvSqrtBC2), T(s.Eps), T(s.WeightDecay)
	c[asm.ScheduleFreeCkp1], c[asm.ScheduleFreeYStep], c[asm.ScheduleFreeLR] = T(s.Ckp1), T(s.YStep), T(s.LR)
	f := l2Flag(c[asm.ScheduleFreeWeightDecay])
	if first {
		f |= asm.FlagFirst
	}
	table[T]().ScheduleFree(y, g, z, v, c, f)
}

// ScheduleFreeToX moves parameters holding y to the average x, as
// AdamWScheduleFree.eval does: p[i] = p[i] + (1 − 1/β1)·(z[i] − p[i]), the
// weight rounded once to T (the EMA kernel). It panics if the lengths
// differ.
func ScheduleFreeToX[T Float](p, z []T, beta1 float64) {
	checkLens[T]("ScheduleFreeToX", "p, z", len(p), len(z))
	table[T]().EMA(p, z, [asm.EMAN]T{asm.EMAWeight: T(1 - 1/beta1)}, 0)
}

// ScheduleFreeToY moves parameters holding x back to y, as
// AdamWScheduleFree.train does: p[i] = p[i] + (1 − β1)·(z[i] − p[i]).
// It panics if the lengths differ.
func ScheduleFreeToY[T Float](p, z []T, beta1 float64) {
	checkLens[T]("ScheduleFreeToY", "p, z", len(p), len(z))
	table[T]().EMA(p, z, [asm.EMAN]T{asm.EMAWeight: T(1 - beta1)}, 0)
}

func init() {
	ref32.ScheduleFree, ref64.ScheduleFree = scheduleFreeRef[float32], scheduleFreeRef[float64]
}

// scheduleFreeRef: for each i
//
//	g := grad[i]·c[GradScale]
//	zi := flags&FlagFirst != 0 ? y[i] : z[i]
//	v[i] = c[Beta2]·v[i] + (c[OneMinusBeta2]·g)·g
//	u := g / (sqrt(v[i])·c[InvSqrtBC2] + c[Eps])
//	if flags&FlagL2 != 0 { u = u + c[WeightDecay]·y[i] }
//	y[i] = (y[i] + c[Ckp1]·(zi − y[i])) + c[YStep]·u
//	z[i] = zi − c[LR]·u
func scheduleFreeRef[T Float](y, grad, z, v []T, c [asm.ScheduleFreeN]T, flags uint64) {
	l2, first := flags&asm.FlagL2 != 0, flags&asm.FlagFirst != 0
	grad, z, v = grad[:len(y)], z[:len(y)], v[:len(y)]
	for i := range y {
		g := T(grad[i] * c[asm.ScheduleFreeGradScale])
		yi := y[i]
		zi := z[i]
		if first {
			zi = yi
		}
		vi := T(c[asm.ScheduleFreeBeta2]*v[i]) + T(T(c[asm.ScheduleFreeOneMinusBeta2]*g)*g)
		v[i] = vi
		u := g / (T(sqrtT(vi)*c[asm.ScheduleFreeInvSqrtBC2]) + c[asm.ScheduleFreeEps])
		if l2 {
			u += T(c[asm.ScheduleFreeWeightDecay] * yi)
		}
		y[i] = (yi + T(c[asm.ScheduleFreeCkp1]*(zi-yi))) + T(c[asm.ScheduleFreeYStep]*u)
		z[i] = zi - T(c[asm.ScheduleFreeLR]*u)
	}
}
