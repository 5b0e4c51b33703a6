package elem

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const eps = 0x1p-53

// sample draws x over the whole range where the results are not 0 or 1,
// over ±40, and near zero.
func sample(r *rand.Rand, i int, lim float64) float64 {
	switch i % 3 {
	case 0:
		return (r.Float64()*2 - 1) * lim
	case 1:
		return r.Float64()*80 - 40
	default:
		return (r.Float64()*2 - 1) * math.Exp2(-r.Float64()*60)
	}
}

func TestScalarBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var ms, msp, mls, ms32, msp32, mls32 float64
	for i := 0; i < 3000; i++ {
		x := sample(r, i, 745)
		ms = max(ms, ulps(Sigmoid(x), refSigmoid(x)))
		msp = max(msp, ulps(Softplus(x), refSoftplus(x)))
		mls = max(mls, ulps(LogSigmoid(x), new(big.Float).Neg(refSoftplus(-x))))
		sp, sg := LogisticParts(x)
		require.Equal(t, Softplus(x), sp, "x = %v", x)
		require.Equal(t, Sigmoid(x), sg, "x = %v", x)
		x32 := float32(sample(r, i, 100))
		ms32 = max(ms32, ulps(Sigmoid(x32), refSigmoid(float64(x32))))
		msp32 = max(msp32, ulps(Softplus(x32), refSoftplus(float64(x32))))
		mls32 = max(mls32, ulps(LogSigmoid(x32), new(big.Float).Neg(refSoftplus(-float64(x32)))))
	}
	t.Logf("max ulp error f64: sigmoid %.3f softplus %.3f log-sigmoid %.3f; f32: %.3f %.3f %.3f", ms, msp, mls, ms32, msp32, mls32)
	assert.LessOrEqual(t, ms, 3.0)
	assert.LessOrEqual(t, msp, 3.0)
	assert.LessOrEqual(t, mls, 3.0)
	assert.LessOrEqual(t, ms32, 1.0)
	assert.LessOrEqual(t, msp32, 1.0)
	assert.LessOrEqual(t, mls32, 1.0)
}

func TestRowBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	var worstLSE, worstSM, worstLSE32, worstSM32 float64
	for trial := 0; trial < 300; trial++ {
		k := 1 + trial%23
		scale := []float64{1, 10, 300}[trial%3]
		x := make([]float64, k)
		x32 := make([]float32, k)
		for i := range x {
			x32[i] = float32((r.Float64()*2 - 1) * scale)
			x[i] = float64(x32[i])
		}
		wantLSE := refLogSumExp(x)
		wantSM := refSoftmax(x)
		w, _ := wantLSE.Float64()
		mx := x[0]
		for _, v := range x {
			mx = max(mx, v)
		}

		sm := make([]float64, k)
		lse := Softmax(sm, x)
		require.Equal(t, LogSumExp(x), lse)
		e := absErr(lse, wantLSE) / (float64(k+3) * eps * max(1, math.Abs(w)))
		worstLSE = max(worstLSE, e)
		sm32 := make([]float32, k)
		lse32 := Softmax(sm32, x32)
		ulp32 := float64(math.Nextafter32(float32(math.Abs(w)), float32(math.Inf(1))) - float32(math.Abs(w)))
		e32 := absErr(float64(lse32), wantLSE) / (ulp32 + float64(k+3)*eps*max(1, math.Abs(w)))
		worstLSE32 = max(worstLSE32, e32)
		for i := range x {
			want, _ := wantSM[i].Float64()
			if want == 0 {
				continue
			}
			// relative bound (k + 4 + 2|x[i] − max|)·ε
			bound := (float64(k+4) + 2*math.Abs(x[i]-mx)) * eps
			worstSM = max(worstSM, absErr(sm[i], wantSM[i])/math.Abs(want)/bound)
			if float32(want) != 0 && math.Abs(want) > 0x1p-126 {
				ulp := float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want))
				worstSM32 = max(worstSM32, absErr(float64(sm32[i]), wantSM[i])/(ulp+bound*math.Abs(want)))
			}
		}
	}
	t.Logf("worst error / documented bound: LogSumExp f64 %.3f f32 %.3f, Softmax f64 %.3f f32 %.3f", worstLSE, worstLSE32, worstSM, worstSM32)
	assert.LessOrEqual(t, worstLSE, 1.0)
	assert.LessOrEqual(t, worstLSE32, 1.0)
	assert.LessOrEqual(t, worstSM, 1.0)
	assert.LessOrEqual(t, worstSM32, 1.0)
}

func TestSpecialValues(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	assert.Equal(t, 1.0, Sigmoid(inf))
	assert.Equal(t, 0.0, Sigmoid(-inf))
	assert.Equal(t, 0.5, Sigmoid(0.0))
	assert.True(t, math.IsNaN(Sigmoid(nan)))
	assert.Equal(t, inf, Softplus(inf))
	assert.Equal(t, 0.0, Softplus(-inf))
	assert.Equal(t, -inf, LogSigmoid(-inf))
	assert.Equal(t, 0.0, LogSigmoid(inf))
	assert.True(t, math.IsNaN(Softplus(nan)))
	// Large arguments stay finite and exact where the answer is representable.
	assert.Equal(t, 1000.0, Softplus(1000.0))
	assert.Equal(t, -1000.0, LogSigmoid(-1000.0))
	assert.Equal(t, float32(-100), LogSigmoid(float32(-100)))
	assert.InDelta(t, math.Exp(-700), Sigmoid(-700.0), 3*eps*math.Exp(-700))

	assert.Equal(t, inf, LogSumExp([]float64{1, inf, 2}))
	assert.Equal(t, -inf, LogSumExp([]float64{-inf, -inf}))
	assert.Equal(t, -inf, LogSumExp([]float64{}))
	assert.True(t, math.IsNaN(LogSumExp([]float64{1, nan, inf})))
	assert.Equal(t, 1000+math.Log(2), LogSumExp([]float64{1000, 1000}))
	assert.Equal(t, float32(-1000), LogSumExp([]float32{-1000, -2000}))

	d := make([]float64, 3)
	assert.Equal(t, inf, Softmax(d, []float64{1, inf, inf}))
	assert.Equal(t, []float64{0, 0.5, 0.5}, d)
	Softmax(d, []float64{0, nan, 1})
	for _, v := range d {
		assert.True(t, math.IsNaN(v))
	}
}

func TestSoftmaxRowsAndVectors(t *testing.T) {
	x := []float64{0, 0, 0, 1, 2, 3}
	lse := make([]float64, 2)
	dst := make([]float64, 6)
	SoftmaxRows(dst, x, 3, lse)
	assert.InDeltaSlice(t, []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}, dst[:3], 1e-16)
	assert.InDelta(t, math.Log(3), lse[0], 1e-16)
	assert.InDelta(t, 3+math.Log(1+math.Exp(-1)+math.Exp(-2)), lse[1], 1e-15)
	SoftmaxRows(x, x, 3, nil) // in place
	assert.Equal(t, dst, x)

	s := make([]float32, 2)
	SigmoidTo(s, []float32{0, float32(math.Inf(-1))})
	assert.Equal(t, []float32{0.5, 0}, s)
	res := make([]float64, 2)
	Residual(res, []float64{3, 1}, []float64{1, 1})
	assert.Equal(t, []float64{2, 0}, res)
}

func TestPanics(t *testing.T) {
	assert.PanicsWithValue(t, "elem: SigmoidTo: len(dst) = 1, len(x) = 2", func() { SigmoidTo(make([]float64, 1), make([]float64, 2)) })
	assert.PanicsWithValue(t, "elem: Residual: len(dst) = 2, len(z) = 2, len(y) = 3", func() {
		Residual(make([]float64, 2), make([]float64, 2), make([]float64, 3))
	})
	assert.PanicsWithValue(t, "elem: Softmax: len(dst) = 1, len(x) = 2", func() { Softmax(make([]float32, 1), make([]float32, 2)) })
	assert.PanicsWithValue(t, "elem: SoftmaxRows: len(dst) = 5, len(x) = 5, k = 3", func() {
		SoftmaxRows(make([]float64, 5), make([]float64, 5), 3, nil)
	})
	assert.PanicsWithValue(t, "elem: SoftmaxRows: len(lse) = 1, want 2 rows", func() {
		SoftmaxRows(make([]float64, 6), make([]float64, 6), 3, make([]float64, 1))
	})
}

func TestNoAllocs(t *testing.T) {
	x := make([]float32, 40)
	assert.Zero(t, testing.AllocsPerRun(10, func() {
		SoftmaxRows(x, x, 10, nil)
		SigmoidTo(x, x)
	}))
}
