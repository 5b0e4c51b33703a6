package mlp

import (
	"fmt"
	"math"
	"testing"

	"github.com/descent-go/descent/datasets"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/train"
)

// The hand-written backward pass against central differences of the loss,
// on every parameter of a small network (float32: differences of h = 1e-3
// on a loss of order 1, so a tolerance of a few percent).
func TestGradient(t *testing.T) {
	const n, hid, k, rows = 4, 6, 3, 9
	rng := train.NewRNG(7)
	d := &datasets.Dataset{Name: "random", Rows: rows, Cols: n, Classes: k, X: make([]float64, rows*n), Y: make([]float64, rows)}
	for i := range d.X {
		d.X[i] = 2*rng.Float64() - 1
	}
	for i := range d.Y {
		d.Y[i] = float64(rng.Intn(k))
	}
	m, err := New(Config{Features: n, Hidden: hid, Classes: k, Seed: 3, L2: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8}
	m.LossGrad(d, all)
	checked := 0
	for _, p := range m.Params() {
		grad := append([]float32(nil), p.Grad32...)
		for i := range p.Data32 {
			const h = 1e-3
			x := p.Data32[i]
			p.Data32[i] = x + h
			up := m.Loss(d)
			p.Data32[i] = x - h
			down := m.Loss(d)
			p.Data32[i] = x
			fd := (up - down) / (2 * h)
			if math.Abs(fd-float64(grad[i])) > 3e-3+0.03*math.Abs(fd) {
				t.Errorf("%s[%d]: gradient %v, central difference %v", p.Name, i, grad[i], fd)
			}
			checked++
		}
	}
	if checked != (n+1)*hid+(hid+1)*k {
		t.Errorf("checked %d parameters", checked)
	}
	if l1, l2 := m.LossGrad(d, all), m.Loss(d); math.Abs(l1-l2) > 1e-6 {
		t.Errorf("LossGrad's loss %v, Loss %v", l1, l2)
	}
	bad := *d
	bad.Y = append([]float64(nil), d.Y...)
	bad.Y[2] = 3
	if err := m.CheckData(&bad); err == nil {
		t.Error("label 3 of 3 classes accepted")
	}
	if _, err := New(Config{Features: 4, Hidden: 0, Classes: 3}); err == nil {
		t.Error("0 hidden units accepted")
	}
}

// A step allocates nothing once the buffers exist.
func TestLossGradAllocs(t *testing.T) {
	d := datasets.MustLoad("digits")
	m, _ := New(Config{Features: d.Cols, Hidden: 32, Classes: d.Classes, Seed: 1})
	rows := []int{5, 3, 8, 1, 13, 21}
	m.LossGrad(d, rows)
	if a := testing.AllocsPerRun(20, func() { m.LossGrad(d, rows) }); a != 0 {
		t.Errorf("LossGrad allocates %v times", a)
	}
}

// A network of one's own in descent's training loop: the MLP on the
// digits, Adam, 15 epochs.
func Example() {
	d := datasets.MustLoad("digits")
	tr, val := d.Split(0.2, 1)
	mean, scale := tr.Standardize()
	val.StandardizeWith(mean, scale)

	net, err := New(Config{Features: d.Cols, Hidden: 64, Classes: d.Classes, Seed: 1})
	if err != nil {
		panic(err)
	}
	t := train.NewModel(net, train.Config{Epochs: 15, BatchSize: 32, Seed: 1})
	if err := t.Build(train.OptimSpec{Kind: "adam", LR: 1e-3}, nil); err != nil {
		panic(err)
	}
	defer t.Opt.Close()
	if _, err := t.Fit(tr, val); err != nil {
		panic(err)
	}
	m := train.EvaluateModel(net, val)
	fmt.Println("parameters:", len(net.Params()), "tensors, float32:", net.Params()[0].Dtype() == optim.F32)
	fmt.Println("validation accuracy ≥ 0.96:", m.Accuracy >= 0.96)
	// Output:
	// parameters: 2 tensors, float32: true
	// validation accuracy ≥ 0.96: true
}
