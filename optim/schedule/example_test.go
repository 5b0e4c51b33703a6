package schedule_test

import (
	"fmt"

	"github.com/descent-go/descent/optim/schedule"
)

// Linear warm-up over 5 steps from 10 % of the base rate, then cosine
// annealing to zero over the remaining 10 steps: PyTorch's
// SequentialLR([LinearLR(start_factor=0.1, total_iters=5),
// CosineAnnealingLR(T_max=10)], milestones=[5]), whose rates these are.
func ExampleWarmup() {
	cos, err := schedule.NewCosine(10, 0)
	if err != nil {
		panic(err)
	}
	s, err := schedule.NewWarmup(cos, 5, 0.1)
	if err != nil {
		panic(err)
	}
	// step counts completed updates: 0 for the first update.
	for step := 0; step <= 15; step++ {
		fmt.Printf("step %2d  lr %.6f\n", step, s.LR(step, 0.1))
	}
	// Output:
	// step  0  lr 0.010000
	// step  1  lr 0.028000
	// step  2  lr 0.046000
	// step  3  lr 0.064000
	// step  4  lr 0.082000
	// step  5  lr 0.100000
	// step  6  lr 0.097553
	// step  7  lr 0.090451
	// step  8  lr 0.079389
	// step  9  lr 0.065451
	// step 10  lr 0.050000
	// step 11  lr 0.034549
	// step 12  lr 0.020611
	// step 13  lr 0.009549
	// step 14  lr 0.002447
	// step 15  lr 0.000000
}

// A validation loss that stops improving: with patience 2 the rate is halved
// on the third observation without improvement, then a cooldown of 1
// observation ignores the next bad one. PyTorch 1.13 gives the same rates
// and state for this loop.
func ExamplePlateau() {
	c := schedule.DefaultPlateau()
	c.Factor = 0.5
	c.Patience = 2
	c.Cooldown = 1
	p, err := schedule.NewPlateau(c)
	if err != nil {
		panic(err)
	}
	losses := []float64{1.0, 0.8, 0.7, 0.7, 0.71, 0.7, 0.69, 0.7, 0.7, 0.7, 0.7}
	for epoch, loss := range losses {
		reduced := p.Observe(loss)
		fmt.Printf("epoch %2d  loss %.2f  reduced %-5v  lr %g\n", epoch+1, loss, reduced, p.LR(0, 0.1))
	}
	fmt.Println(p.State())
	// Output:
	// epoch  1  loss 1.00  reduced false  lr 0.1
	// epoch  2  loss 0.80  reduced false  lr 0.1
	// epoch  3  loss 0.70  reduced false  lr 0.1
	// epoch  4  loss 0.70  reduced false  lr 0.1
	// epoch  5  loss 0.71  reduced false  lr 0.1
	// epoch  6  loss 0.70  reduced true   lr 0.05
	// epoch  7  loss 0.69  reduced false  lr 0.05
	// epoch  8  loss 0.70  reduced false  lr 0.05
	// epoch  9  loss 0.70  reduced false  lr 0.05
	// epoch 10  loss 0.70  reduced true   lr 0.025
	// epoch 11  loss 0.70  reduced false  lr 0.025
	// map[best:0.69 cooldown_counter:0 last_epoch:11 num_bad_epochs:0 reductions:2]
}
