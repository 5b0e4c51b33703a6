// Package tune searches hyper-parameters of descent's optimizers for the
// linear models of package linear, as the design text asks: choosing the
// optimizer and its learning rate "by cross-validation or grid search".
//
// # Search
//
// Grid crosses lists of values (Space) — optimizer kind, learning rate, Adam's
// betas, momentum, weight decay, any hyper-parameter by key, batch size —
// taking for each kind only the parameters it has; Random draws trials from
// intervals (Ranges), the learning rate log-uniformly. What a kind has, its
// defaults and which of its hyper-parameters a search varies by default
// (and over which values or interval) come from its descriptor in optim's
// registry (optim.Algorithm, HyperParam.Tune): a new optimizer needs nothing
// here. Search trains every trial with k-fold
// cross-validation (package train's loop, Config.Epochs epochs per fold) and
// returns a Table ranked by mean validation loss, with its standard deviation
// over the folds, the mean validation accuracy of classifiers and the mean
// training loss. Table.String prints it. A trial whose loss becomes NaN or
// ±Inf is marked diverged and ranked last.
//
// Trials run Config.Parallel at a time, each on its own goroutine with its
// own model and its own one-worker optimizer. The results do not depend on the
// parallelism or the scheduling: the folds are cut by a shuffle seeded from
// Config.Seed (the same folds for every trial), and trial i's shuffling in
// fold f is seeded from (Seed, i, f) — never from the order in which trials
// happen to run.
//
// # Learning-rate range test
//
// LRRangeTest trains from θ = 0 while the learning rate grows exponentially
// from RangeTest.MinLR to MaxLR, records the batch losses, smooths them
// without lag, stops once the loss diverges, and suggests a rate: the rate of
// steepest descent of the smoothed loss (or, if it never falls, a tenth of
// the rate at its minimum). LRRangeTest's documentation gives the rule and
// why.
package tune
