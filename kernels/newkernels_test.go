package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The public wrappers of Lion, Adagrad and RMSprop, on hyper-parameters
// that reach every variant, against the reference on every implementation.

var lionConfigs = []Lion{
	DefaultLion(),
	{LR: 3e-4, Beta1: 0.95, Beta2: 0.98, WeightDecay: 0.1},
	{LR: 1e-3, Beta1: 0.9, Beta2: 0.99, WeightDecay: 1, Maximize: true},
	{LR: 0, Beta1: 0, Beta2: 1},
}

var adagradConfigs = []struct {
	h Adagrad
	t int
}{
	{DefaultAdagrad(), 1},
	{Adagrad{LR: 0.1, LRDecay: 0.01, WeightDecay: 1e-3, InitialAccumulatorValue: 0.1, Eps: 1e-10}, 9},
	{Adagrad{LR: 0.5, Eps: 1e-6, Maximize: true}, 3},
}

var rmspropConfigs = []RMSprop{
	DefaultRMSprop(),
	{LR: 1e-3, Alpha: 0.9, Eps: 1e-6, WeightDecay: 0.01},
	{LR: 1e-2, Alpha: 0.99, Eps: 1e-8, Centered: true},
	{LR: 1e-2, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9},
	{LR: 1e-2, Alpha: 0.95, Eps: 1e-8, Momentum: 0.5, Centered: true, WeightDecay: 0.1, Maximize: true},
}

func TestLion(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testLion[float32](t) })
	t.Run("f64", func(t *testing.T) { testLion[float64](t) })
}

func testLion[T float](t *testing.T) {
	for ci, h := range lionConfigs {
		for _, special := range fills {
			s := h.Scalars(0.5)
			t.Run(fmt.Sprintf("config=%d/special=%v", ci, special), func(t *testing.T) {
				compareImpls(t, 3, slices[T](3, special), func(a [][]T) []float64 {
					LionStep(a[0], a[1], a[2], &s)
					return nil
				})
			})
		}
	}
}

func TestAdagrad(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testAdagrad[float32](t) })
	t.Run("f64", func(t *testing.T) { testAdagrad[float64](t) })
}

func testAdagrad[T float](t *testing.T) {
	for ci, c := range adagradConfigs {
		for _, special := range fills {
			s := c.h.Scalars(c.t, 1)
			t.Run(fmt.Sprintf("config=%d/special=%v", ci, special), func(t *testing.T) {
				compareImpls(t, 3, moments[T](3, special), func(a [][]T) []float64 {
					AdagradStep(a[0], a[1], a[2], &s)
					return nil
				})
			})
		}
	}
}

func TestRMSprop(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testRMSprop[float32](t) })
	t.Run("f64", func(t *testing.T) { testRMSprop[float64](t) })
}

func testRMSprop[T float](t *testing.T) {
	for ci, h := range rmspropConfigs {
		for _, special := range fills {
			s := h.Scalars(2)
			t.Run(fmt.Sprintf("config=%d/special=%v", ci, special), func(t *testing.T) {
				compareImpls(t, 5, moments[T](5, special), func(a [][]T) []float64 {
					RMSpropStep(a[0], a[1], a[2], a[3], a[4], &s)
					return nil
				})
			})
		}
	}
}

// TestNewKernelsFormula checks one element of each new kernel, in float64,
// against the formula written out independently of the reference.
func TestNewKernelsFormula(t *testing.T) {
	sign := func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	}
	for _, impl := range Available() {
		withImpl(t, impl, func() {
			// Lion: c = β1·m + (1−β1)·g; θ −= lr·(sign(c) + λθ); m = β2·m + (1−β2)·g.
			h := Lion{LR: 0.01, Beta1: 0.9, Beta2: 0.99, WeightDecay: 0.1}
			p, g, m := []float64{1.5}, []float64{-0.25}, []float64{0.125}
			s := h.Scalars(1)
			LionStep(p, g, m, &s)
			c := 0.9*0.125 + (1-0.9)*-0.25
			assert.InDelta(t, 1.5-0.01*(sign(c)+0.1*1.5), p[0], 1e-15, impl)
			assert.InDelta(t, 0.99*0.125+(1-0.99)*-0.25, m[0], 1e-15, impl)

			// Adagrad, step 3: clr = lr/(1+2·lr_decay); sum += g²; θ −= clr·g/(sqrt(sum)+ε).
			ha := Adagrad{LR: 0.1, LRDecay: 0.5, WeightDecay: 0.01, Eps: 1e-10}
			p, g, sum := []float64{2}, []float64{0.5}, []float64{0.3}
			sa := ha.Scalars(3, 1)
			AdagradStep(p, g, sum, &sa)
			ge := 0.5 + 0.01*2
			assert.InDelta(t, 0.3+ge*ge, sum[0], 1e-15, impl)
			assert.InDelta(t, 2-(0.1/2)*ge/(math.Sqrt(0.3+ge*ge)+1e-10), p[0], 1e-15, impl)

			// RMSprop, centered with momentum.
			hr := RMSprop{LR: 0.01, Alpha: 0.9, Eps: 1e-8, Momentum: 0.5, Centered: true}
			p, g = []float64{1}, []float64{0.2}
			sq, buf, ga := []float64{0.04}, []float64{0.1}, []float64{0.05}
			sr := hr.Scalars(1)
			RMSpropStep(p, g, sq, buf, ga, &sr)
			sqe := 0.9*0.04 + 0.1*0.2*0.2
			gae := 0.9*0.05 + 0.1*0.2
			be := 0.5*0.1 + 0.2/(math.Sqrt(sqe-gae*gae)+1e-8)
			assert.InDelta(t, sqe, sq[0], 1e-15, impl)
			assert.InDelta(t, gae, ga[0], 1e-15, impl)
			assert.InDelta(t, be, buf[0], 1e-14, impl)
			assert.InDelta(t, 1-0.01*be, p[0], 1e-15, impl)
		})
	}
}

func TestNewKernelsPanics(t *testing.T) {
	a, b := make([]float32, 4), make([]float32, 5)
	ls := DefaultLion().Scalars(1)
	as := DefaultAdagrad().Scalars(1, 1)
	rs := RMSprop{LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9}.Scalars(1)
	assert.PanicsWithValue(t, "kernels: LionStep[float32]: slice lengths differ: len(p)=4 len(g)=4 len(m)=5",
		func() { LionStep(a, a, b, &ls) })
	assert.PanicsWithValue(t, "kernels: AdagradStep[float32]: slice lengths differ: len(p)=4 len(g)=5 len(sum)=4",
		func() { AdagradStep(a, b, a, &as) })
	// The momentum buffer is in use (Momentum ≠ 0) and missing; the
	// gradient average is not (not centered), so nil is fine.
	assert.PanicsWithValue(t, "kernels: RMSpropStep[float32]: slice lengths differ: len(p)=4 len(g)=4 len(sq)=4 len(buf)=0 len(gavg)=4",
		func() { RMSpropStep(a, a, a, nil, nil, &rs) })
	assert.Panics(t, func() { DefaultAdagrad().Scalars(0, 1) })
	for _, err := range []error{
		Lion{LR: -1}.Validate(), Lion{LR: 1, Beta1: 2}.Validate(),
		Adagrad{LR: 1, Eps: 0}.Validate(), Adagrad{LR: 1, Eps: 1, LRDecay: -1}.Validate(),
		RMSprop{LR: 1, Alpha: 1.5, Eps: 1}.Validate(), RMSprop{LR: 1, Alpha: 0.9, Eps: 1, Momentum: -1}.Validate(),
	} {
		assert.Error(t, err)
	}
	assert.NoError(t, DefaultLion().Validate())
	assert.NoError(t, DefaultAdagrad().Validate())
	assert.NoError(t, DefaultRMSprop().Validate())
}
