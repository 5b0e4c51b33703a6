package train_test

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/linear"
	"github.com/descent-go/descent/train"
)

// round3 rounds to 3 decimals and turns −0 into 0 for printing.
func round3(x float64) float64 { return math.Round(x*1000)/1000 + 0 }

// The original design text's first example, corrected: fit y = 2x on
// X = [1, 2, 3, 4] by plain gradient descent.
//
// Corrections: the original looped over mini-batches of an undefined
// batch_size; with four rows the natural choice is the full batch (BatchSize
// 0), which makes this plain, deterministic gradient descent. It gave θ the
// shape of X ((4,) instead of one weight per feature plus an intercept):
// here θ = [w, b] has Model.NumParams() = 2 entries, laid out by package
// linear. The loss is half the mean squared error, whose gradient needs no
// extra factor 2; lr = 0.2 is below 2/λmax ≈ 0.24 of its Hessian, so the
// iteration converges.
func Example_gradientDescent() {
	x := []float64{1, 2, 3, 4} // 4 rows × 1 feature
	y := []float64{2, 4, 6, 8}
	md := linear.NewLeastSquares[float64](1, linear.Options{Intercept: true})
	t := train.New(md, train.Config{Epochs: 1000, BatchSize: 0})
	if err := t.Build(train.OptimSpec{Kind: train.SGD, LR: 0.2}, nil); err != nil {
		panic(err)
	}
	if _, err := t.Fit(datasets.New(x, y, 1), nil); err != nil {
		panic(err)
	}
	fmt.Printf("slope %.3f, intercept %.3f\n", round3(t.Theta[0]), round3(t.Theta[1]))
	// Output: slope 2.000, intercept 0.000
}

// The original design text's second example, corrected: the same fit with
// Adam.
//
// Corrections, besides the batch size and θ's shape (see the gradient-descent
// example): the original bias-corrected with 1 − β^t at t = 0, dividing by
// zero on the first step. Package optim counts steps from 1, as PyTorch does,
// so the first update divides by 1 − β1 = 0.1. Adam's steps have a length of
// about lr whatever the gradient's size, so it only settles to 3 decimals once
// the rate decays: a cosine schedule brings it to 0 at the last step.
func Example_adam() {
	x := []float64{1, 2, 3, 4}
	y := []float64{2, 4, 6, 8}
	md := linear.NewLeastSquares[float64](1, linear.Options{Intercept: true})
	const epochs = 2000
	t := train.New(md, train.Config{Epochs: epochs})
	sched, err := train.ScheduleSpec{Kind: train.Cosine}.New(epochs) // one step per epoch
	if err != nil {
		panic(err)
	}
	if err := t.Build(train.OptimSpec{Kind: train.Adam, LR: 0.1}, sched); err != nil {
		panic(err)
	}
	if _, err := t.Fit(datasets.New(x, y, 1), nil); err != nil {
		panic(err)
	}
	fmt.Printf("slope %.3f, intercept %.3f, steps %d\n", round3(t.Theta[0]), round3(t.Theta[1]), t.Opt.StepCount())
	// Output: slope 2.000, intercept 0.000, steps 2000
}

// Logistic regression on breast cancer with Adam, a validation split, early
// stopping and progress events (sent on a channel, as a command line could
// render them from another goroutine).
func ExampleTrainer_Fit() {
	d := datasets.MustLoad("breast_cancer")
	tr, val := d.Split(0.2, 1)
	mean, scale := tr.Standardize()
	val.StandardizeWith(mean, scale)

	md := linear.NewLogistic[float64](d.Cols, linear.Options{Intercept: true})
	events := make(chan train.Event, 64)
	done := make(chan int)
	go func() { // count the epochs that improved the validation loss
		best := 0
		for e := range events {
			if e.Kind == train.EpochEnd && e.Best {
				best++
			}
		}
		done <- best
	}()
	t := train.New(md, train.Config{Epochs: 50, BatchSize: 32, Seed: 1, Patience: 5, RestoreBest: true,
		OnEvent: func(e train.Event) {
			if e.Kind != train.BatchEnd { // per-epoch events only
				events <- e
			}
		}})
	if err := t.Build(train.OptimSpec{Kind: train.Adam, LR: 0.01}, nil); err != nil {
		panic(err)
	}
	h, err := t.Fit(tr, val)
	close(events)
	if err != nil {
		panic(err)
	}
	improved := <-done
	m := train.Evaluate(md, t.Theta, val)
	fmt.Println("stopped early:", h.Stopped, "| improving epochs counted:", improved > 0)
	fmt.Println("restored the best validation loss:", m.Loss == h.BestLoss)
	fmt.Println("validation accuracy ≥ 0.95:", m.Accuracy >= 0.95)
	// Output:
	// stopped early: true | improving epochs counted: true
	// restored the best validation loss: true
	// validation accuracy ≥ 0.95: true
}
