// Command mf trains logistic matrix factorization with lazy Adam on
// generated implicit feedback (package mf) and reports, per epoch, the
// training loss, the test AUC against the popularity baseline, and the
// throughput: training examples (clicked pairs and their sampled
// negatives) per second, and optimizer steps per second.
//
//	go run ./examples/mf/cmd/mf [-users 100000] [-items 50000] [-dim 32] [-epochs 3] …
//
// The tables are users×dim, items×dim and items×1 float32 embeddings; each
// step's gradient touches only the batch's rows, and the step costs what
// those rows cost (see optim.Embedding).
package main

import (
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/descent-go/descent/examples/mf"
)

func main() {
	users := flag.Int("users", 100_000, "users")
	items := flag.Int("items", 50_000, "items")
	perUser := flag.Int("per-user", 20, "mean interactions per user")
	zipf := flag.Float64("zipf", 1.1, "popularity exponent s > 1")
	dim := flag.Int("dim", 32, "embedding dimension")
	lr := flag.Float64("lr", 0.01, "Adam learning rate")
	batch := flag.Int("batch", 512, "clicked pairs per step (each with one sampled negative)")
	epochs := flag.Int("epochs", 3, "passes over the training interactions")
	negatives := flag.Int("negatives", 100, "sampled negatives per test user for the AUC")
	seed := flag.Uint64("seed", 1, "seed of the data and the model")
	flag.Parse()

	t0 := time.Now()
	d := mf.Generate(mf.Config{Users: *users, Items: *items, PerUser: *perUser, Zipf: *zipf, TasteDim: 8, Seed: *seed})
	fmt.Printf("data: %v (generated in %v)\n", d, time.Since(t0).Round(time.Millisecond))
	fmt.Printf("popularity baseline: AUC %.4f (uniform negatives), %.4f (popular negatives)\n",
		mf.PopularityAUC(d, *negatives, false, *seed), mf.PopularityAUC(d, *negatives, true, *seed))
	m, err := mf.NewModel(d, *dim, *lr, *seed)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	for e := 1; e <= *epochs; e++ {
		t := time.Now()
		loss, examples, err := m.Epoch(d, *batch)
		if err != nil {
			log.Fatal(err)
		}
		s := time.Since(t).Seconds()
		steps := (len(d.Train) + *batch - 1) / *batch
		fmt.Printf("epoch %d: loss %.4f, test AUC %.4f (uniform negatives), %.4f (popular negatives); %.0f examples/s, %.0f steps/s (%d steps in %.2fs)\n",
			e, loss, m.AUC(d, *negatives, false, *seed), m.AUC(d, *negatives, true, *seed), float64(examples)/s, float64(steps)/s, steps, s)
	}
}
