package mf_test

import (
	"fmt"

	"github.com/descent-go/descent/examples/mf"
)

// Logistic matrix factorization with lazy Adam on generated implicit
// feedback: 3 000 users, 2 000 items of Zipf popularity. The test AUC is
// measured against unclicked items drawn in proportion to their clicks,
// where ranking by popularity is little better than chance and only the
// learned taste helps.
func Example() {
	d := mf.Generate(mf.Config{Users: 3000, Items: 2000, PerUser: 20, Zipf: 1.1, TasteDim: 8, Seed: 1})
	m, err := mf.NewModel(d, 16, 0.01, 1)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	fmt.Printf("popularity: AUC %.2f\n", mf.PopularityAUC(d, 100, true, 1))
	for epoch := 1; epoch <= 4; epoch++ {
		if _, _, err := m.Epoch(d, 256); err != nil {
			panic(err)
		}
	}
	fmt.Printf("matrix factorization, lazy Adam, 4 epochs: AUC %.2f\n", m.AUC(d, 100, true, 1))
	// Output:
	// popularity: AUC 0.62
	// matrix factorization, lazy Adam, 4 epochs: AUC 0.79
}
