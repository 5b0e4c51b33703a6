// Package mf is a recommender on descent's sparse row updates: logistic
// matrix factorization trained with lazy Adam on implicit feedback (who
// clicked what), the shape of a recommendation system's embedding tables.
//
// Generate makes the data: users and items with power-law (Zipf)
// popularity, each user's interactions drawn from the popular items and
// kept with a probability that grows with a hidden affinity, so that
// personal taste — not popularity alone — decides what a user clicks. One
// interaction per user is held out for testing.
//
// Model scores a (user, item) pair as b + b_i + ⟨P_u, Q_i⟩ — a global bias
// (a dense parameter), an item bias and user and item vectors (three
// embedding tables, optim.Embedding) — and is trained on the logistic loss
// of every clicked pair against a sampled unclicked item. Each step's
// gradient touches only the batch's rows; lazy Adam (optim's adam rule on
// an Embedding) updates those rows alone, so a step costs what the batch
// touches, whatever the size of the tables.
//
// AUC measures the ranking: for each test user, the fraction of sampled
// items the user never clicked that the model scores below the held-out
// one (0.5 is chance). PopularityAUC is the same for the non-personal
// baseline that ranks items by their number of clicks.
//
// The program in ./cmd/mf trains it at a larger size and reports the AUC
// and the throughput.
package mf

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/descent-go/descent/optim"
)

// Config sizes the generated data.
type Config struct {
	Users, Items int
	PerUser      int     // mean interactions per user (each user has 2 to 4·PerUser)
	Zipf         float64 // popularity exponent s > 1: item of rank r is drawn ∝ (r+10)^−s
	TasteDim     int     // dimension of the hidden affinities
	Seed         uint64
}

// Pair is one interaction.
type Pair struct{ User, Item int32 }

// Data is generated implicit feedback.
type Data struct {
	Users, Items int
	Train        []Pair // in random order
	Test         []Pair // one held-out interaction per user
	Clicks       []int  // per item, its number of training interactions
	seen         map[uint64]bool
}

// Seen reports whether user u interacted with item i (train or test).
func (d *Data) Seen(u, i int32) bool { return d.seen[uint64(u)<<32|uint64(uint32(i))] }

// Generate returns data of the configured shape, the same for the same
// Config.
func Generate(c Config) *Data {
	r := rand.New(rand.NewPCG(c.Seed, 0x5eed))
	d := &Data{Users: c.Users, Items: c.Items, Clicks: make([]int, c.Items), seen: map[uint64]bool{}}
	gauss := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64() / math.Sqrt(float64(c.TasteDim))
		}
		return x
	}
	tu, ti := gauss(c.Users*c.TasteDim), gauss(c.Items*c.TasteDim)
	rank := r.Perm(c.Items) // rank[k] is the item of popularity rank k
	zipf := rand.NewZipf(r, c.Zipf, 10, uint64(c.Items-1))
	for u := range c.Users {
		n := 2 + r.IntN(4*c.PerUser-1)
		var items []int32
		for tries := 0; len(items) < n && tries < 100*n; tries++ {
			i := int32(rank[zipf.Uint64()])
			key := uint64(u)<<32 | uint64(uint32(i))
			if d.seen[key] {
				continue
			}
			a := 0.0
			for k := range c.TasteDim {
				a += tu[u*c.TasteDim+k] * ti[int(i)*c.TasteDim+k]
			}
			if r.Float64() < 1/(1+math.Exp(-(8*a-3))) {
				d.seen[key] = true
				items = append(items, i)
			}
		}
		if len(items) < 2 {
			continue
		}
		d.Test = append(d.Test, Pair{int32(u), items[0]})
		for _, i := range items[1:] {
			d.Train = append(d.Train, Pair{int32(u), i})
			d.Clicks[i]++
		}
	}
	r.Shuffle(len(d.Train), func(a, b int) { d.Train[a], d.Train[b] = d.Train[b], d.Train[a] })
	return d
}

// Model is logistic matrix factorization with its optimizer.
type Model struct {
	Dim  int
	P, Q []float32 // user and item vectors, row-major
	Bias []float32 // item biases
	B    []float32 // global bias (dense)

	gP, gQ, gBias *optim.RowGrad[float32]
	gB            []float32
	opt           *optim.Optimizer
	r             *rand.Rand
	items         int
	train         []Pair
}

// NewModel returns a model for d with vectors of dim elements (drawn from
// N(0, 0.1²)) and a lazy Adam optimizer of learning rate lr over its three
// tables and the global bias. Close releases the optimizer's workers.
func NewModel(d *Data, dim int, lr float64, seed uint64) (*Model, error) {
	r := rand.New(rand.NewPCG(seed, 0xfac7))
	m := &Model{Dim: dim, P: optim.MakeTable[float32](d.Users, dim), Q: optim.MakeTable[float32](d.Items, dim),
		Bias: optim.MakeTable[float32](d.Items, 1), B: make([]float32, 1), gB: make([]float32, 1),
		gP: &optim.RowGrad[float32]{}, gQ: &optim.RowGrad[float32]{}, gBias: &optim.RowGrad[float32]{},
		r: r, items: d.Items, train: d.Train}
	for _, x := range [][]float32{m.P, m.Q} {
		for i := range x {
			x[i] = float32(0.1 * r.NormFloat64())
		}
	}
	opt, err := optim.New("adam", []optim.Group{{
		Params: []optim.Param{optim.Float32("bias", m.B, m.gB)},
		Embeddings: []optim.Embedding{
			optim.Embedding32("user", d.Users, dim, m.P, m.gP),
			optim.Embedding32("item", d.Items, dim, m.Q, m.gQ),
			optim.Embedding32("item_bias", d.Items, 1, m.Bias, m.gBias),
		},
		Hyper: optim.Values{"lr": lr},
	}})
	if err != nil {
		return nil, err
	}
	m.opt = opt
	return m, nil
}

// Close stops the optimizer's workers.
func (m *Model) Close() error { return m.opt.Close() }

// Score returns the model's logit for (u, i).
func (m *Model) Score(u, i int32) float32 {
	d := m.Dim
	s := m.B[0] + m.Bias[i]
	p, q := m.P[int(u)*d:int(u+1)*d], m.Q[int(i)*d:int(i+1)*d]
	for k := range p {
		s += float32(p[k] * q[k]) // the conversion keeps Go from fusing a multiply-add on arm64: same bits everywhere
	}
	return s
}

// Step takes one optimizer step on the batch: each pair against a sampled
// item (uniformly or, half the time, in proportion to its clicks, as
// word2vec samples its negatives, so that the model learns taste beyond
// popularity), the logistic loss averaged over the 2·len(batch) examples.
// It returns the mean loss.
func (m *Model) Step(batch []Pair) (float64, error) {
	m.opt.ZeroGrad()
	m.gB[0] = 0
	d := m.Dim
	scale := float32(1) / float32(2*len(batch))
	loss := 0.0
	for _, pr := range batch {
		for _, ex := range [2]struct {
			i int32
			y float32
		}{{pr.Item, 1}, {m.negative(), 0}} {
			s := m.Score(pr.User, ex.i)
			prob := float32(1 / (1 + math.Exp(-float64(s))))
			if ex.y == 1 {
				loss -= math.Log(max(float64(prob), 1e-12))
			} else {
				loss -= math.Log(max(1-float64(prob), 1e-12))
			}
			e := (prob - ex.y) * scale // dLoss/dscore
			p, q := m.P[int(pr.User)*d:int(pr.User+1)*d], m.Q[int(ex.i)*d:int(ex.i+1)*d]
			gp, gq := m.gP.Row(int(pr.User), d), m.gQ.Row(int(ex.i), d)
			for k := range gp {
				gp[k] = e * q[k]
				gq[k] = e * p[k]
			}
			m.gBias.Row(int(ex.i), 1)[0] = e
			m.gB[0] += e
		}
	}
	if _, err := m.opt.Step(); err != nil {
		return 0, err
	}
	return loss / float64(2*len(batch)), nil
}

// negative draws an item for a negative example.
func (m *Model) negative() int32 {
	if m.r.IntN(2) == 0 {
		return m.train[m.r.IntN(len(m.train))].Item
	}
	return int32(m.r.IntN(m.items))
}

// Epoch runs Step over d.Train in batches of size batch and returns the
// mean loss and the number of examples (pairs and their sampled negatives).
func (m *Model) Epoch(d *Data, batch int) (loss float64, examples int, err error) {
	steps := 0
	for lo := 0; lo < len(d.Train); lo += batch {
		l, err := m.Step(d.Train[lo:min(lo+batch, len(d.Train))])
		if err != nil {
			return 0, 0, err
		}
		loss += l
		steps++
		examples += 2 * (min(lo+batch, len(d.Train)) - lo)
	}
	return loss / float64(steps), examples, nil
}

// AUC returns the mean over d.Test of the fraction of negatives (items the
// user never clicked, negatives per user) that score scores below the
// held-out item (ties count half). The negatives are drawn uniformly, or
// with popular true in proportion to their clicks (the hard case: the
// popularity baseline is then near 0.5, and only taste tells them apart).
// They depend only on seed.
func AUC(d *Data, negatives int, popular bool, seed uint64, score func(u, i int32) float64) float64 {
	r := rand.New(rand.NewPCG(seed, 0xa0c))
	total := 0.0
	for _, t := range d.Test {
		pos := score(t.User, t.Item)
		below := 0.0
		for n := 0; n < negatives; {
			j := int32(r.IntN(d.Items))
			if popular {
				j = d.Train[r.IntN(len(d.Train))].Item
			}
			if d.Seen(t.User, j) {
				continue
			}
			n++
			switch s := score(t.User, j); {
			case s < pos:
				below++
			case s == pos:
				below += 0.5
			}
		}
		total += below / float64(negatives)
	}
	return total / float64(len(d.Test))
}

// ModelAUC is AUC with the model's scores.
func (m *Model) AUC(d *Data, negatives int, popular bool, seed uint64) float64 {
	return AUC(d, negatives, popular, seed, func(u, i int32) float64 { return float64(m.Score(u, i)) })
}

// PopularityAUC is AUC with an item's number of training clicks as its
// score: the baseline without personalization.
func PopularityAUC(d *Data, negatives int, popular bool, seed uint64) float64 {
	return AUC(d, negatives, popular, seed, func(_, i int32) float64 { return float64(d.Clicks[i]) })
}

// String describes the data's shape.
func (d *Data) String() string {
	top := 0
	for _, c := range d.Clicks {
		top = max(top, c)
	}
	return fmt.Sprintf("%d users, %d items, %d training interactions (most clicked item: %d), %d test users",
		d.Users, d.Items, len(d.Train), top, len(d.Test))
}
