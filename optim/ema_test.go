package optim

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/descent-go/descent/kernels"
)

func TestEMA(t *testing.T) {
	w32, w64 := []float32{1, 2, 3, -4, 5}, []float64{0.5, -0.25, 8}
	e, err := NewEMA([]Param{Float32("w", w32, nil), Float64("b", w64, nil)}, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	r32, r64 := slices.Clone(w32), slices.Clone(w64)
	for s := range 7 {
		for i := range w32 {
			w32[i] += float32(s+i) * 0.1
		}
		for i := range w64 {
			w64[i] -= float64(s*i) * 0.3
		}
		e.Update()
		// The formula, rounded as the kernel's contract says.
		for i := range r32 {
			r32[i] += float32(float32(1-0.9) * (w32[i] - r32[i]))
		}
		for i := range r64 {
			r64[i] += float64((1 - 0.9) * (w64[i] - r64[i])) // converted: no FMA on arm64
		}
	}
	av := e.Averages()
	if !slices.Equal(av[0].Data32, r32) || !slices.Equal(av[1].Data64, r64) || av[0].Name != "w" || e.Updates() != 7 {
		t.Fatalf("averages %v %v, want %v %v", av[0].Data32, av[1].Data64, r32, r64)
	}
	p32, p64 := slices.Clone(w32), slices.Clone(w64)
	e.Swap()
	if !slices.Equal(w32, r32) || !slices.Equal(w64, r64) || !slices.Equal(av[0].Data32, p32) {
		t.Fatal("Swap did not exchange parameters and averages")
	}
	e.Swap()
	if !slices.Equal(w32, p32) || !slices.Equal(w64, p64) || !slices.Equal(av[0].Data32, r32) {
		t.Fatal("a second Swap did not restore")
	}
	if n := testing.AllocsPerRun(10, e.Update); n != 0 {
		t.Errorf("Update allocates %v times", n)
	}
	for _, c := range []struct {
		ps    []Param
		decay float64
		want  string
	}{
		{[]Param{Float32("w", w32, nil)}, 1.5, "decay 1.5"},
		{[]Param{Float32("w", w32, nil)}, math.NaN(), "decay NaN"},
		{[]Param{Float32("w", w32, nil), Float64("w", w64, nil)}, 0.9, `"w" used twice`},
		{[]Param{{Name: "x"}}, 0.9, "set exactly one"},
	} {
		if _, err := NewEMA(c.ps, c.decay); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewEMA: %v, want %q", err, c.want)
		}
	}
	// decay 0 copies, decay 1 keeps.
	e0, _ := NewEMA([]Param{Float32("w", w32, nil)}, 0)
	w32[0] = 42
	e0.Update()
	if e0.Averages()[0].Data32[0] != 42 {
		t.Error("decay 0 did not copy")
	}
	defer func() {
		if recover() == nil {
			t.Error("kernels.EMA accepted decay 2")
		}
	}()
	kernels.EMA(w32, w32, 2)
}

// An EMA of the weights beside the optimizer: update after each step,
// evaluate with the averages between two Swaps.
func ExampleEMA() {
	w, g := []float32{1, 1}, make([]float32, 2)
	ps := []Param{Float32("w", w, g)}
	opt, _ := New("sgd", []Group{{Params: ps, Hyper: Values{"lr": 0.1}}})
	defer opt.Close()
	ema, _ := NewEMA(ps, 0.5)
	for range 3 {
		g[0], g[1] = 1, -1 // the gradient of the batch
		opt.Step()
		ema.Update()
	}
	ema.Swap() // evaluate with the averages
	fmt.Printf("averaged %.4f\n", w)
	ema.Swap() // back to the trained weights
	fmt.Printf("trained  %.4f\n", w)
	// Output:
	// averaged [0.7875 1.2125]
	// trained  [0.7000 1.3000]
}
