package kernels

import (
	"math"
	"os"
	"os/exec"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestZeroAllocs checks that no kernel allocates, with every implementation.
func TestZeroAllocs(t *testing.T) {
	const n = 1000
	p, g, m, v, vm := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	p64, g64, m64, v64, vm64 := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	as := DefaultAdam().Scalars(3, 1)
	ss := SGD{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 0.1}.Scalars(1)
	ls := DefaultLion().Scalars(1)
	ags := DefaultAdagrad().Scalars(2, 1)
	rss := RMSprop{LR: 0.01, Alpha: 0.99, Eps: 1e-8, Momentum: 0.9, Centered: true}.Scalars(1)
	calls := map[string]func(){
		"LionF32":               func() { LionStep(p, g, m, &ls) },
		"LionF64":               func() { LionStep(p64, g64, m64, &ls) },
		"AdagradF32":            func() { AdagradStep(p, g, m, &ags) },
		"AdagradF64":            func() { AdagradStep(p64, g64, m64, &ags) },
		"RMSpropF32":            func() { RMSpropStep(p, g, m, v, vm, &rss) },
		"RMSpropF64":            func() { RMSpropStep(p64, g64, m64, v64, vm64, &rss) },
		"AdamStep[float32]":     func() { AdamStep[float32](p, g, m, v, &as) },
		"AdamStep[float64]":     func() { AdamStep[float64](p64, g64, m64, v64, &as) },
		"AMSGradStep[float32]":  func() { AMSGradStep[float32](p, g, m, v, vm, &as) },
		"AMSGradStep[float64]":  func() { AMSGradStep[float64](p64, g64, m64, v64, vm64, &as) },
		"SGDStep[float32]":      func() { SGDStep[float32](p, g, &ss) },
		"SGDStep[float64]":      func() { SGDStep[float64](p64, g64, &ss) },
		"MomentumStep[float32]": func() { MomentumStep[float32](p, g, m, &ss, false) },
		"MomentumStep[float64]": func() { MomentumStep[float64](p64, g64, m64, &ss, true) },
		"SumSquares[float32]":   func() { SumSquares[float32](p) },
		"SumSquares[float64]":   func() { SumSquares[float64](p64) },
		"Dot[float32]":          func() { Dot[float32](p, g) },
		"Dot[float64]":          func() { Dot[float64](p64, g64) },
		"Axpy[float32]":         func() { Axpy[float32](0.5, p, g) },
		"Axpy[float64]":         func() { Axpy[float64](0.5, p64, g64) },
		"Scale[float32]":        func() { Scale[float32](0.5, p) },
		"Scale[float64]":        func() { Scale[float64](0.5, p64) },
	}
	for _, impl := range Available() {
		withImpl(t, impl, func() {
			for name, f := range calls {
				assert.Zero(t, testing.AllocsPerRun(10, f), "impl=%s %s allocates", impl, name)
			}
		})
	}
}

func TestLengthMismatchPanics(t *testing.T) {
	a, b := make([]float32, 4), make([]float32, 5)
	as := DefaultAdam().Scalars(1, 1)
	ss := SGD{LR: 0.1}.Scalars(1)
	assert.PanicsWithValue(t, "kernels: AdamStep[float32]: slice lengths differ: len(p)=4 len(g)=4 len(m)=5 len(v)=4",
		func() { AdamStep[float32](a, a, b, a, &as) })
	assert.PanicsWithValue(t, "kernels: AMSGradStep[float32]: slice lengths differ: len(p)=4 len(g)=4 len(m)=4 len(v)=4 len(vmax)=5",
		func() { AMSGradStep[float32](a, a, a, a, b, &as) })
	assert.PanicsWithValue(t, "kernels: SGDStep[float32]: slice lengths differ: len(p)=5 len(g)=4",
		func() { SGDStep[float32](b, a, &ss) })
	assert.PanicsWithValue(t, "kernels: MomentumStep[float32]: slice lengths differ: len(p)=4 len(g)=4 len(buf)=5",
		func() { MomentumStep[float32](a, a, b, &ss, false) })
	assert.PanicsWithValue(t, "kernels: Dot[float32]: slice lengths differ: len(x)=4 len(y)=5",
		func() { Dot[float32](a, b) })
	assert.PanicsWithValue(t, "kernels: Axpy[float32]: slice lengths differ: len(y)=5 len(x)=4",
		func() { Axpy[float32](1, a, b) })
	a64, b64 := make([]float64, 2), make([]float64, 3)
	assert.PanicsWithValue(t, "kernels: AdamStep[float64]: slice lengths differ: len(p)=3 len(g)=2 len(m)=3 len(v)=3",
		func() { AdamStep[float64](b64, a64, b64, b64, &as) })
	assert.Panics(t, func() { DefaultAdam().Scalars(0, 1) }, "step 0")
}

func TestValidate(t *testing.T) {
	require.NoError(t, DefaultAdam().Validate())
	require.NoError(t, DefaultAdamW().Validate())
	nan := math.NaN()
	for _, h := range []Adam{
		{LR: -1, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		{LR: nan, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		{LR: 1e-3, Beta1: 1, Beta2: 0.999, Eps: 1e-8},
		{LR: 1e-3, Beta1: 0.9, Beta2: -0.1, Eps: 1e-8},
		{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 0},
		{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: -1},
	} {
		assert.Error(t, h.Validate(), "%+v", h)
	}
	require.NoError(t, SGD{LR: 0.1, Momentum: 0.9, Nesterov: true}.Validate())
	for _, h := range []SGD{
		{LR: -0.1},
		{LR: 0.1, Momentum: -1},
		{LR: 0.1, Dampening: 2},
		{LR: 0.1, Nesterov: true},
		{LR: 0.1, Momentum: 0.9, Dampening: 0.1, Nesterov: true},
		{LR: 0.1, WeightDecay: math.Inf(1)},
	} {
		assert.Error(t, h.Validate(), "%+v", h)
	}
}

// TestScalars checks the step scalars against their definitions.
func TestScalars(t *testing.T) {
	h := Adam{LR: 0.01, Beta1: 0.9, Beta2: 0.99, Eps: 1e-8, WeightDecay: 0.1}
	s := h.Scalars(2, 0.5)
	assert.Equal(t, 0.5, s.GradScale)
	assert.Equal(t, 0.1, s.L2)
	assert.Equal(t, 1.0, s.Decay)
	assert.InDelta(t, 0.01/(1-0.81), s.StepSize, 1e-15)
	assert.InDelta(t, 1/math.Sqrt(1-0.99*0.99), s.InvSqrtBC2, 1e-12)
	h.Decoupled, h.Maximize = true, true
	s = h.Scalars(1, 2)
	assert.Equal(t, -2.0, s.GradScale)
	assert.Equal(t, 0.0, s.L2)
	assert.Equal(t, 1-0.01*0.1, s.Decay)
}

func TestSetImpl(t *testing.T) {
	assert.Error(t, SetImpl("sse9"))
	assert.Contains(t, Available(), Impl())
	assert.Equal(t, Generic, Available()[0])
}

// TestEnvImpl checks that DESCENT_IMPL and GODEBUG=cpu.avx2=off choose the
// implementation at start-up, by running this test binary again.
func TestEnvImpl(t *testing.T) {
	if name := os.Getenv("DESCENT_TEST_CHILD"); name != "" {
		if Impl() != name {
			t.Fatalf("Impl() = %q, want %q (DESCENT_IMPL=%q GODEBUG=%q)", Impl(), name, os.Getenv(EnvImpl), os.Getenv("GODEBUG"))
		}
		return
	}
	if testing.Short() || os.Getenv("QEMU_CPU") != "" {
		t.Skip("runs the test binary again (not under -short, nor under qemu-user, which may not run a child)")
	}
	cases := [][2]string{{EnvImpl + "=generic", Generic}, {EnvImpl + "=sse9", detect().t32.Name}}
	if runtime.GOARCH == "amd64" {
		cases = append(cases, [2]string{"GODEBUG=cpu.avx2=off", Generic})
	}
	for _, c := range cases {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvImpl$")
		cmd.Env = append(os.Environ(), c[0], "DESCENT_TEST_CHILD="+c[1])
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s: %s", c[0], out)
	}
}
