// Package train is a training loop for the linear models of package linear
// with the optimizers of package optim.
//
// A Trainer holds a model's parameters θ and a gradient buffer, and an
// optimizer built over them (Trainer.Build from an OptimSpec, or any
// *optim.Optimizer over Trainer.Param()). Fit runs epochs of seeded, shuffled
// mini-batches: each batch's rows are gathered into a reusable buffer, the
// model writes its gradient into the buffer the optimizer reads, and the
// optimizer steps. After the first batch a step allocates nothing.
//
// The data are a *datasets.Dataset: an embedded one (datasets.Load), a CSV
// file (datasets.LoadCSV) or slices in memory (datasets.New).
//
//	d := datasets.MustLoad("digits")
//	tr, val := d.Split(0.2, 1)
//	md := linear.NewSoftmax[float64](d.Cols, d.Classes, linear.Options{Intercept: true})
//	t := train.New(md, train.Config{Epochs: 20, BatchSize: 32, Seed: 1, Patience: 3, RestoreBest: true})
//	sched, _ := train.ScheduleSpec{Kind: train.Cosine, Warmup: 50}.New(20 * t.BatchesPerEpoch(tr.Rows))
//	_ = t.Build(train.OptimSpec{Kind: train.Adam, LR: 0.01}, sched)
//	hist, err := t.Fit(tr, val) // val nil: no validation
//
// # Determinism
//
// Epoch e visits the rows in an order that depends only on (Config.Seed, e)
// (its own SplitMix64 generator, the same on every platform and Go version),
// and optim's results do not depend on its number of workers, so a run is
// reproducible, and a run resumed from a checkpoint after epoch k
// (Config.StartEpoch = k, the optimizer restored) continues exactly as the
// uninterrupted run.
//
// # Monitoring and stopping
//
// After every epoch Fit records the mean training loss of its batches (each
// measured before its step) and, with validation data, the validation loss;
// the latter (or the former, without validation data) is the monitored loss.
// It feeds reduce-on-plateau schedules (Optimizer.ObserveLoss), early stopping
// (Config.Patience, MinDelta) and Config.RestoreBest. Config.Callbacks see
// every epoch's EpochStats and may stop training (ErrStop); Config.OnEvent
// receives typed progress events (EpochStart, BatchEnd, EpochEnd) for a
// command line to render.
//
// A loss or gradient that becomes NaN or ±Inf stops training with a
// *NonFiniteError naming the epoch and batch, before that batch's update:
// θ keeps the last finite values.
//
// # Specs
//
// OptimSpec (any algorithm of optim's registry — sgd, momentum, nesterov,
// adam, adamw, amsgrad, lion, adagrad, rmsprop — with hyper-parameters by
// key) and ScheduleSpec (constant, cosine, step, onecycle, plateau, with a
// linear warm-up) describe an optimizer and a schedule by value, so that
// every run — every trial of a hyper-parameter search — builds its own.
package train
