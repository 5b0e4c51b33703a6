package optim

import (
	"fmt"
	"math"

	"github.com/descent-go/descent/kernels"
)

// EMA keeps an exponential moving average of parameters — the weights many
// models are evaluated with (PyTorch's AveragedModel with
// get_ema_multi_avg_fn, timm's ModelEmaV2). Each Update moves every
// average towards its parameter in one fused pass (kernels.EMA):
//
//	avg = avg + (1 − decay)·(θ − avg)
//
// bit-identical on every implementation. The averages start as copies of
// the parameters. EMA reads only the parameters' data; it is independent
// of the optimizer that updates them and allocates nothing after NewEMA.
type EMA struct {
	decay  float64
	params []Param
	avg    []Param // averages: Data32 or Data64 set, no gradient
	n      int     // updates
}

// NewEMA returns the moving average of params with the given decay, in
// [0, 1] (0.999 and 0.9999 are common: the average spans about
// 1/(1 − decay) updates). Each Param needs its data (float32 or float64);
// gradients are not read. It copies the current data as the starting
// averages.
func NewEMA(params []Param, decay float64) (*EMA, error) {
	if !(decay >= 0 && decay <= 1) {
		return nil, fmt.Errorf("optim: EMA: decay %v, want in [0, 1]", decay)
	}
	e := &EMA{decay: decay, params: append([]Param(nil), params...), avg: make([]Param, len(params))}
	names := make(map[string]bool, len(params))
	for i, p := range params {
		switch {
		case names[p.Name]:
			return nil, fmt.Errorf("optim: EMA: parameter name %q used twice", p.Name)
		case (p.Data32 == nil) == (p.Data64 == nil):
			return nil, fmt.Errorf("optim: EMA: parameter %q: set exactly one of Data32 and Data64", p.Name)
		}
		names[p.Name] = true
		a := Param{Name: p.Name, Shape: p.Shape}
		if p.Data32 != nil {
			a.Data32 = append([]float32(nil), p.Data32...)
		} else {
			a.Data64 = append([]float64(nil), p.Data64...)
		}
		e.avg[i] = a
	}
	return e, nil
}

// Update moves every average one step towards its parameter's current
// data: call it after each optimizer step (or every k steps).
func (e *EMA) Update() {
	for i := range e.params {
		if e.avg[i].Data32 != nil {
			kernels.EMA(e.avg[i].Data32, e.params[i].Data32, e.decay)
		} else {
			kernels.EMA(e.avg[i].Data64, e.params[i].Data64, e.decay)
		}
	}
	if e.n < math.MaxInt {
		e.n++
	}
}

// Updates returns the number of Update calls.
func (e *EMA) Updates() int { return e.n }

// Decay returns the decay.
func (e *EMA) Decay() float64 { return e.decay }

// Swap exchanges the contents of every parameter and its average, in
// place: evaluate the model with the averaged weights between two calls,
// then continue training (the optimizer sees its own weights again).
func (e *EMA) Swap() {
	for i := range e.params {
		if a := e.avg[i].Data32; a != nil {
			p := e.params[i].Data32
			for j := range a {
				a[j], p[j] = p[j], a[j]
			}
			continue
		}
		a, p := e.avg[i].Data64, e.params[i].Data64
		for j := range a {
			a[j], p[j] = p[j], a[j]
		}
	}
}

// Averages returns the averages as Params (their data, no gradients), in
// the parameters' order and with their names and shapes: to save them
// (safetensors.Of …), copy them out or serve them. The slices are the
// EMA's own: Update changes them.
func (e *EMA) Averages() []Param { return append([]Param(nil), e.avg...) }
