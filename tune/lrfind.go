package tune

import (
	"errors"
	"fmt"
	"math"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/optim/schedule"
	"github.com/descent-go/descent/train"
)

// RangeTest configures a learning-rate range test (Smith, "Cyclical Learning
// Rates for Training Neural Networks", 2017; fastai's lr_find): train from
// θ = 0 with a rate that grows exponentially from MinLR to MaxLR over Steps
// mini-batch steps, recording each batch's loss.
type RangeTest struct {
	Optim        train.OptimSpec // kind and hyper-parameters; its LR is ignored
	BatchSize    int             // default 32
	MinLR, MaxLR float64         // default 1e-6 and 10
	Steps        int             // default 100
	Smoothing    float64         // β of the loss's exponential moving averages, in [0, 1); default 0.9
	Diverge      float64         // stop once the smoothed loss exceeds Diverge × its minimum; default 4
	Seed         uint64          // shuffling of the batches
}

// RangeResult is the outcome of a range test.
type RangeResult struct {
	LR       []float64 // rate of each step
	Loss     []float64 // the step's batch loss, before its update
	Smoothed []float64 // Loss smoothed without lag (see zeroPhase)
	// MinLR is the rate at the minimum of the smoothed loss.
	MinLR float64
	// SteepestLR is the rate where the smoothed loss falls fastest against
	// log(lr), between the first step and the minimum.
	SteepestLR float64
	// Suggested is the suggested learning rate: SteepestLR, or MinLR/10
	// when the smoothed loss never falls (see LRRangeTest).
	Suggested float64
	// Diverged reports that the test stopped early: the smoothed loss passed
	// Diverge × its minimum, or a loss became non-finite.
	Diverged bool
}

// LRRangeTest runs the range test on the model's θ = 0 over d (the model's
// workspace is used; θ is the test's own).
//
// The recorded batch losses are smoothed without lag (an exponential moving
// average with factor Smoothing, run forwards and then backwards), and the
// rule is: the suggested rate is the rate where the smoothed loss falls
// fastest against log(lr), searched between the first step and the minimum
// of the smoothed loss (fastai's "steepest" suggestion); when the smoothed
// loss never falls, it is the rate at the minimum divided by 10 (Smith's
// rule). The steepest point sits in the middle of the useful range, where
// a larger rate still lowers the loss faster; on digits its suggestion for
// Adam (≈ 0.013) is the rate that a 5-fold grid search over 1e-3…10 ranks
// first (0.01), where minimum/10 (≈ 0.03) would be three times larger. Both
// rates are reported.
//
// The test stops early when the forward (online) moving average exceeds
// Diverge × its minimum, or a loss or gradient becomes non-finite.
func LRRangeTest(md *linear.Model[float64], d *datasets.Dataset, rt RangeTest) (*RangeResult, error) {
	if rt.BatchSize == 0 {
		rt.BatchSize = 32
	}
	if rt.MinLR == 0 {
		rt.MinLR = 1e-6
	}
	if rt.MaxLR == 0 {
		rt.MaxLR = 10
	}
	if rt.Steps == 0 {
		rt.Steps = 100
	}
	if rt.Smoothing == 0 {
		rt.Smoothing = 0.9
	}
	if rt.Diverge == 0 {
		rt.Diverge = 4
	}
	switch {
	case !(rt.MinLR > 0 && rt.MaxLR > rt.MinLR) || math.IsInf(rt.MaxLR, 0):
		return nil, fmt.Errorf("tune: range test needs 0 < MinLR < MaxLR, got %g, %g", rt.MinLR, rt.MaxLR)
	case rt.Steps < 3:
		return nil, fmt.Errorf("tune: range test needs at least 3 steps, got %d", rt.Steps)
	case !(rt.Smoothing >= 0 && rt.Smoothing < 1):
		return nil, fmt.Errorf("tune: smoothing %g outside [0, 1)", rt.Smoothing)
	case !(rt.Diverge > 1):
		return nil, fmt.Errorf("tune: divergence factor %g must exceed 1", rt.Diverge)
	case d == nil || d.Rows == 0:
		return nil, errors.New("tune: range test without data")
	}
	if err := train.CheckData(md, d); err != nil {
		return nil, fmt.Errorf("tune: %w", err)
	}
	gamma := math.Pow(rt.MaxLR/rt.MinLR, 1/float64(rt.Steps-1))
	sched, err := schedule.NewExponential(gamma)
	if err != nil {
		return nil, err
	}
	spec := rt.Optim
	spec.LR = rt.MinLR
	spec.Workers = 1
	t := train.New(md, train.Config{BatchSize: rt.BatchSize})
	if err := t.Build(spec, sched); err != nil {
		return nil, err
	}
	defer t.Opt.Close()

	m := d.Rows
	bs := min(rt.BatchSize, m)
	perm := make([]int, m)
	res := &RangeResult{}
	avg, best := 0.0, math.Inf(1)
	pos, epoch := m, 0
	for step := 0; step < rt.Steps; step++ {
		if pos+bs > m { // a new pass, reshuffled; a short tail is skipped
			epoch++
			for i := range perm {
				perm[i] = i
			}
			train.Shuffle(perm, train.DeriveSeed(rt.Seed, uint64(epoch)))
			pos = 0
		}
		lr := rt.MinLR * math.Pow(gamma, float64(step))
		loss, err := t.TrainBatch(d, perm[pos:pos+bs])
		pos += bs
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			res.Diverged = true
			break
		}
		avg = rt.Smoothing*avg + (1-rt.Smoothing)*loss
		sm := avg / (1 - math.Pow(rt.Smoothing, float64(step+1)))
		res.LR = append(res.LR, lr)
		res.Loss = append(res.Loss, loss)
		if err != nil { // a non-finite gradient: the step was not taken
			res.Diverged = true
			break
		}
		best = min(best, sm)
		if sm > rt.Diverge*best {
			res.Diverged = true
			break
		}
	}
	if len(res.LR) < 2 {
		return res, fmt.Errorf("tune: range test diverged at once (lr %g)", rt.MinLR)
	}
	res.Smoothed = zeroPhase(res.Loss, rt.Smoothing)
	imin := 0
	for i, s := range res.Smoothed {
		if s < res.Smoothed[imin] {
			imin = i
		}
	}
	res.MinLR = res.LR[imin]
	// The log-rates are evenly spaced, so the slope against log(lr) is
	// proportional to the difference of neighbouring smoothed losses.
	isteep, slope := 0, math.Inf(1)
	for i := 1; i <= imin; i++ {
		if s := res.Smoothed[i] - res.Smoothed[i-1]; s < slope {
			isteep, slope = i, s
		}
	}
	res.SteepestLR = res.LR[isteep]
	res.Suggested = res.SteepestLR
	if !(slope < 0) {
		res.Suggested = res.MinLR / 10
	}
	return res, nil
}

// zeroPhase smooths x by an exponential moving average with factor beta run
// forwards and then backwards over the result, each bias-corrected at its
// start: the two passes' lags cancel, so a feature of the curve stays at its
// learning rate (a forward average alone shifts the minimum to larger rates
// by about 1/(1−β) steps).
func zeroPhase(x []float64, beta float64) []float64 {
	out := make([]float64, len(x))
	ema := func(get func(int) float64, set func(int, float64), n int) {
		avg := 0.0
		corr := 1.0
		for i := 0; i < n; i++ {
			avg = beta*avg + (1-beta)*get(i)
			corr *= beta
			set(i, avg/(1-corr))
		}
	}
	n := len(x)
	ema(func(i int) float64 { return x[i] }, func(i int, v float64) { out[i] = v }, n)
	ema(func(i int) float64 { return out[n-1-i] }, func(i int, v float64) { out[n-1-i] = v }, n)
	return out
}
