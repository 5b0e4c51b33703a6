package tune

import (
	"fmt"
	"math"
	"slices"

	"github.com/descent-go/descent/train"
)

// A Scheduler decides, from the mean validation losses that trials report
// while they train, which trials go on training and which are pruned:
// SuccessiveHalving, ASHA, Hyperband and MedianPruner. Config.Scheduler nil
// trains every trial for the whole budget (Config.Epochs).
//
// Every scheduler's decisions depend only on the trials' results, never on
// which goroutine finished first, so a search gives the same table whatever
// Config.Parallel is; each type's documentation says how.
type Scheduler interface {
	// String names the scheduler with its settings, as "asha(η=3, grace=1)".
	String() string
	// plan returns the trials' checkpoints and the rule that decides at
	// them.
	plan(n, budget int, seed uint64) (*plan, error)
}

// rule is how a plan decides at a checkpoint.
type rule uint8

const (
	ruleNone   rule = iota // only the budget: every trial finishes
	ruleSH                 // synchronous: the best 1/η of the trial's group at the rung
	ruleASHA               // asynchronous, in trial order: the best 1/η of the earlier trials at the rung
	ruleMedian             // the trial's best loss so far against the median of earlier trials
)

// plan is what a scheduler makes of a search: for each trial the epochs at
// which it reports (ascending, the last one the budget) and the group it
// is compared within (Hyperband's bracket).
type plan struct {
	rule        rule
	eta         int
	startup     int     // median: earlier trials needed before pruning
	checkpoints [][]int // per trial
	group       []int   // per trial
	// order is the trials' order of arrival (ASHA, median): order[p] is
	// the trial at position p; pos is its inverse. Trials start in this
	// order, and "earlier" means earlier in it.
	order, pos []int
}

// arrival returns a shuffle of 0..n-1 seeded from seed and its inverse.
func arrival(n int, seed uint64, tag uint64) (order, pos []int) {
	order = make([]int, n)
	for i := range order {
		order[i] = i
	}
	if tag != 0 {
		train.Shuffle(order, train.DeriveSeed(seed, tag))
	}
	pos = make([]int, n)
	for p, i := range order {
		pos[i] = p
	}
	return order, pos
}

// rungs returns the epochs of successive halving's rungs: grace, grace·η,
// grace·η², … while below budget, then budget.
func rungs(grace, eta, budget int) []int {
	var r []int
	for e := grace; e < budget; e *= eta {
		r = append(r, e)
		if e > math.MaxInt/eta {
			break
		}
	}
	return append(r, budget)
}

func checkEtaGrace(name string, eta, grace, budget int) (int, int, error) {
	switch {
	case eta == 0:
		eta = 3
	case eta < 2:
		return 0, 0, fmt.Errorf("tune: %s: reduction factor η = %d, need at least 2", name, eta)
	}
	switch {
	case grace == 0:
		grace = 1
	case grace < 0:
		return 0, 0, fmt.Errorf("tune: %s: grace period %d epochs, need at least 1", name, grace)
	}
	if budget < grace {
		return 0, 0, fmt.Errorf("tune: %s: budget of %d epochs is smaller than the grace period of %d", name, budget, grace)
	}
	return eta, grace, nil
}

func same(n int, cp []int) [][]int {
	out := make([][]int, n)
	for i := range out {
		out[i] = cp
	}
	return out
}

// noScheduler trains every trial for the whole budget.
type noScheduler struct{}

func (noScheduler) String() string { return "none" }

func (noScheduler) plan(n, budget int, _ uint64) (*plan, error) {
	p := &plan{rule: ruleNone, checkpoints: same(n, []int{budget}), group: make([]int, n)}
	p.order, p.pos = arrival(n, 0, 0)
	return p, nil
}

// SuccessiveHalving is synchronous successive halving (Jamieson and
// Talwalkar 2016; Li et al. 2018): every trial trains for Grace epochs, the
// first rung; the best ⌊n/η⌋ of the n trials that reached it (at least one)
// are promoted and train on to Grace·η epochs, the next rung, and so on
// while the rung is below the budget (Config.Epochs), which is the last
// rung. A trial whose loss becomes non-finite counts at the rung it was
// training towards, with loss +Inf. A rung's decision waits for every trial
// to reach it (or to have stopped before it): it depends only on results.
type SuccessiveHalving struct {
	Eta   int // reduction factor η ≥ 2; 0 means 3
	Grace int // epochs of the first rung ≥ 1; 0 means 1
}

// String returns "sh(η=…, grace=…)" with the defaults filled in.
func (s SuccessiveHalving) String() string {
	return fmt.Sprintf("sh(η=%d, grace=%d)", or1(s.Eta, 3), or1(s.Grace, 1))
}

func (s SuccessiveHalving) plan(n, budget int, _ uint64) (*plan, error) {
	eta, grace, err := checkEtaGrace("successive halving", s.Eta, s.Grace, budget)
	if err != nil {
		return nil, err
	}
	p := &plan{rule: ruleSH, eta: eta, checkpoints: same(n, rungs(grace, eta, budget)), group: make([]int, n)}
	p.order, p.pos = arrival(n, 0, 0)
	return p, nil
}

// ASHA is asynchronous successive halving (Li et al. 2020, "A System for
// Massively Parallel Hyperparameter Tuning"), in the form Ray Tune runs it:
// rungs at Grace, Grace·η, Grace·η², … epochs and the budget; a trial that
// reaches a rung is promoted at once if it is among the best ⌊n/η⌋ (at
// least one) of the n trials that have reached that rung so far, itself
// included, and stopped otherwise. No rung waits for all trials, so
// promising trials climb while others are still starting.
//
// "So far" would depend on which goroutine finished first. Here it is
// defined by an order of arrival fixed in advance: a shuffle of the trials
// seeded from Config.Seed (Result.Order; shuffled, because ASHA assumes
// configurations arrive at random, and a grid listed by increasing learning
// rate would otherwise see each trial beat the previous ones). The trials
// that reached a rung "before" trial i are those earlier in that order that
// reached it. Trial i's decision at a rung is taken once every earlier
// trial has reached that rung or stopped below it; meanwhile i waits, its
// trainers and optimizer state kept in memory, and its worker trains other
// trials (trials start in the order of arrival, so the wait is short). The
// decisions are exactly those of ASHA run one trial at a time in that
// order, whatever Config.Parallel is. A trial whose loss becomes non-finite
// counts at the rung it was training towards, with loss +Inf.
type ASHA struct {
	Eta   int // reduction factor η ≥ 2; 0 means 3
	Grace int // grace period: epochs of the first rung ≥ 1; 0 means 1
}

// String returns "asha(η=…, grace=…)" with the defaults filled in.
func (s ASHA) String() string {
	return fmt.Sprintf("asha(η=%d, grace=%d)", or1(s.Eta, 3), or1(s.Grace, 1))
}

func (s ASHA) plan(n, budget int, seed uint64) (*plan, error) {
	eta, grace, err := checkEtaGrace("asha", s.Eta, s.Grace, budget)
	if err != nil {
		return nil, err
	}
	p := &plan{rule: ruleASHA, eta: eta, checkpoints: same(n, rungs(grace, eta, budget)), group: make([]int, n)}
	p.order, p.pos = arrival(n, seed, 0x61736861) // "asha"
	return p, nil
}

// Hyperband (Li et al. 2018) runs brackets of successive halving that
// trade the number of trials against the epochs each starts with. With the
// rungs r₀ < r₁ < … < r_s of SuccessiveHalving (r_s the budget), bracket b
// (0 ≤ b ≤ s) starts its trials at rung r_b and halves them as
// SuccessiveHalving does; bracket 0 prunes most, bracket s trains its trials
// for the whole budget. As Optuna's HyperbandPruner does for a given list of
// trials, the trials are dealt to the brackets, each trial to one, in
// proportion to Hyperband's bracket sizes ⌈(s+1)/(s−b+1)⌉·η^(s−b), by a
// shuffle seeded from Config.Seed. Each bracket's decisions wait for all
// its trials, so they depend only on results.
type Hyperband struct {
	Eta   int // reduction factor η ≥ 2; 0 means 3
	Grace int // epochs of the first rung ≥ 1; 0 means 1
}

// String returns "hyperband(η=…, grace=…)" with the defaults filled in.
func (s Hyperband) String() string {
	return fmt.Sprintf("hyperband(η=%d, grace=%d)", or1(s.Eta, 3), or1(s.Grace, 1))
}

func (s Hyperband) plan(n, budget int, seed uint64) (*plan, error) {
	eta, grace, err := checkEtaGrace("hyperband", s.Eta, s.Grace, budget)
	if err != nil {
		return nil, err
	}
	rs := rungs(grace, eta, budget)
	smax := len(rs) - 1
	weights := make([]float64, smax+1)
	total := 0.0
	for b := range weights {
		w := math.Ceil(float64(smax+1)/float64(smax-b+1)) * math.Pow(float64(eta), float64(smax-b))
		weights[b] = w
		total += w
	}
	// Largest remainder: bracket sizes proportional to the weights.
	size := make([]int, smax+1)
	left := n
	type rem struct {
		b int
		r float64
	}
	var rems []rem
	for b, w := range weights {
		q := float64(n) * w / total
		size[b] = int(q)
		left -= size[b]
		rems = append(rems, rem{b, q - float64(size[b])})
	}
	slices.SortStableFunc(rems, func(x, y rem) int {
		switch {
		case x.r > y.r:
			return -1
		case x.r < y.r:
			return 1
		}
		return x.b - y.b
	})
	for k := 0; k < left; k++ {
		size[rems[k].b]++
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	train.Shuffle(perm, train.DeriveSeed(seed, 0x6879706572)) // "hyper"
	p := &plan{rule: ruleSH, eta: eta, checkpoints: make([][]int, n), group: make([]int, n)}
	p.order, p.pos = arrival(n, 0, 0)
	k := 0
	for b, sz := range size {
		for ; sz > 0; sz-- {
			i := perm[k]
			k++
			p.group[i] = b
			p.checkpoints[i] = rs[b:]
		}
	}
	return p, nil
}

// MedianPruner prunes a plain search as Optuna's MedianPruner does: after
// Grace epochs, and then every Interval epochs, a trial whose best mean
// validation loss so far is worse than the median of the losses other
// trials had at that epoch is stopped, once at least Startup other trials
// have reported that epoch. The other trials are, to keep the decision
// independent of timing, the trials earlier in a seeded order of arrival
// (Result.Order, as under ASHA; Optuna's grid sampler also visits a grid in
// random order), pruned or not, that reached the epoch (diverged ones left
// out); trial i waits for them as under ASHA.
type MedianPruner struct {
	Startup  int // trials that must have reported an epoch before one is pruned there; 0 means 5
	Grace    int // epochs before the first check ≥ 1; 0 means 1
	Interval int // epochs between checks ≥ 1; 0 means 1
}

// String returns "median(startup=…, grace=…, interval=…)" with the defaults
// filled in.
func (s MedianPruner) String() string {
	return fmt.Sprintf("median(startup=%d, grace=%d, interval=%d)", or1(s.Startup, 5), or1(s.Grace, 1), or1(s.Interval, 1))
}

func (s MedianPruner) plan(n, budget int, seed uint64) (*plan, error) {
	if s.Startup < 0 || s.Interval < 0 {
		return nil, fmt.Errorf("tune: median pruner: startup %d, interval %d: must be ≥ 0", s.Startup, s.Interval)
	}
	_, grace, err := checkEtaGrace("median pruner", 2, s.Grace, budget)
	if err != nil {
		return nil, err
	}
	var cp []int
	for e := grace; e < budget; e += or1(s.Interval, 1) {
		cp = append(cp, e)
	}
	cp = append(cp, budget)
	p := &plan{rule: ruleMedian, startup: or1(s.Startup, 5), checkpoints: same(n, cp), group: make([]int, n)}
	p.order, p.pos = arrival(n, seed, 0x6d656469616e) // "median"
	return p, nil
}

func or1(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// ParseScheduler returns the scheduler named name ("none" or "" for none,
// "sh", "asha", "hyperband", "median") with reduction factor eta and grace
// period grace (0: the defaults).
func ParseScheduler(name string, eta, grace int) (Scheduler, error) {
	switch name {
	case "", "none":
		return nil, nil
	case "sh":
		return SuccessiveHalving{Eta: eta, Grace: grace}, nil
	case "asha":
		return ASHA{Eta: eta, Grace: grace}, nil
	case "hyperband":
		return Hyperband{Eta: eta, Grace: grace}, nil
	case "median":
		return MedianPruner{Grace: grace}, nil
	}
	return nil, fmt.Errorf("tune: unknown scheduler %q (want none, sh, asha, hyperband or median)", name)
}

// SchedulerNames lists the names ParseScheduler takes.
func SchedulerNames() []string { return []string{"none", "sh", "asha", "hyperband", "median"} }
