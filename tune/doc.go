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
// Trials run Config.Parallel at a time, each on a worker goroutine with the
// worker's model and the trial's own one-worker optimizer. The results do not depend on the
// parallelism or the scheduling: the folds are cut by a shuffle seeded from
// Config.Seed (the same folds for every trial), and trial i's shuffling in
// fold f is seeded from (Seed, i, f) — never from the order in which trials
// happen to run.
//
// # Pruning: successive halving, ASHA, Hyperband, median
//
// Config.Scheduler stops trials whose validation loss lags, so a search
// spends its epochs on the promising ones. Config.Epochs is then the budget:
// the most epochs a trial trains. Trials report their mean validation loss
// over the folds after each epoch (Result.Curve) and at the scheduler's
// rungs the scheduler decides:
//
//	SuccessiveHalving  rungs at Grace, Grace·η, … epochs and the budget; the best 1/η
//	                   of all trials at a rung go on (synchronous)
//	ASHA               the same rungs; a trial goes on at once if it is among the best
//	                   1/η of the trials that reached the rung before it (asynchronous)
//	Hyperband          trials dealt to brackets of successive halving that start at
//	                   each rung in turn
//	MedianPruner       after Grace epochs, and every Interval, a trial worse than the
//	                   median of the earlier trials at that epoch stops (Optuna's)
//
// A pruned trial's folds stop at once and its memory is released. A
// promoted trial continues where it stopped: its trainers (θ, optimizer
// state, the epoch reached) stay in memory while it waits, and its
// learning-rate schedule spans the whole budget from the start, so the
// trial's losses at every epoch are bit for bit those of an unpruned run.
// Trials that reached the budget rank first (Table.Best is the best of
// them); pruned ones follow by the epochs they reached. A trial whose loss
// becomes NaN or ±Inf is marked diverged and stopped, counted at its rung
// with loss +Inf. Table.EpochsSpent is the trial-epochs trained.
//
// Decisions depend on results only, never on timing. One coordinator
// goroutine owns every trial's state and takes every decision; workers train
// segments of trials (all folds, from one rung to the next) and report back.
// Successive halving and Hyperband wait at each rung for all trials of the
// bracket. ASHA and the median pruner consider trials in an order of arrival
// fixed in advance — a shuffle seeded from Config.Seed (Result.Order) — and
// take trial i's decision at a rung once every trial before it in that
// order has reached the rung or stopped below it; meanwhile i waits and its
// worker trains other trials. The decisions are those of running the trials
// one at a time in that order, and the table is the same for any
// Config.Parallel.
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
