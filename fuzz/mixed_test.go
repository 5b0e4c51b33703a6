package fuzz

import (
	"bytes"
	"math"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// FuzzMixedStep runs the mixed-storage steps (kernels.Mixed) of Adam,
// AMSGrad, Lion and momentum SGD over 16-bit parameters and gradients,
// float64 parameters with float32 gradients, and 8-bit state, with every
// implementation, and fails unless all give the reference's bits: the
// master weights (NaN payloads aside), the 16-bit copies (NaN payloads
// aside), the codes and block maxima.
//
//	data     element values (see value)
//	n        length, mod maxLen+1 (several quantization blocks at most)
//	kernel   0 Adam, 1 AMSGrad, 2 Lion, 3 Momentum (first step when bit 2 is set)
//	storage  bit 0: bf16 (else f16) parameters with master weights; bit 1:
//	         8-bit state; bit 2: float32 parameters and gradients instead of
//	         16-bit; bit 3: float64 parameters with float32 gradients (the
//	         others ignored)
//	lo       the first element stepped, rounded down to a block when the
//	         state is quantized
func FuzzMixedStep(f *testing.F) {
	for k := range uint8(4) {
		for s := range uint8(16) {
			f.Add([]byte{1, 2, 3, 0xd, 0xff, 0x7f, 9, 0x40}, uint16(300), k, s, uint16(0), 0.01, 0.5)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint16, kernel, storage uint8, lo uint16, lr, scale float64) {
		old := kernels.Impl()
		defer kernels.SetImpl(old)
		size := length(n)
		start := int(lo) % (size + 1)
		d := newDecoder(data, size)
		half := kernels.F16
		if storage&1 != 0 {
			half = kernels.BF16
		}
		q8, f32, f64 := storage&2 != 0, storage&4 != 0, storage&8 != 0
		if q8 {
			start -= start % kernels.Q8Block
		}
		first := kernel&4 != 0
		kernel %= 4
		states := []int{2, 3, 1, 1}[kernel]
		signed := []bool{true, false, false}
		p := values[float32](d, size, false)
		g := values[float32](d, size, false)
		st := make([][]float32, states)
		for j := range st {
			st[j] = values[float32](d, size, !signed[j] || kernel == 2 && j == 0)
		}
		adam := kernels.Adam{LR: math.Abs(lr), Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}
		as := adam.Scalars(3, scale)
		ls := kernels.Lion{LR: math.Abs(lr), Beta1: 0.9, Beta2: 0.99}.Scalars(scale)
		ss := kernels.SGD{LR: math.Abs(lr), Momentum: 0.9}.Scalars(scale)
		if f64 {
			run64(t, p, g, st, kernel, start, first, &as, &ls, &ss)
			return
		}
		type out struct {
			p    []float32
			copy []uint16
			q    []kernels.Q8
			st   [][]float32
		}
		var want *out
		for _, impl := range kernels.Available() {
			o := &out{p: append([]float32(nil), p...)}
			x := kernels.Mixed[float32]{P: o.p}
			if f32 {
				x.G = g
			} else {
				x.Copy, x.CopyFormat = make([]uint16, size), half
				x.G16, x.GFormat = make([]uint16, size), half
				for i := range g {
					x.G16[i] = narrow(half, g[i])
				}
			}
			for j := range st {
				if q8 {
					m := kernels.Q8Unsigned
					if signed[j] || kernel == 2 {
						m = kernels.Q8Signed
					}
					q := kernels.NewQ8(m, size)
					generic(t, func() { q.Encode(st[j]) })
					o.q = append(o.q, q)
				} else {
					o.st = append(o.st, append([]float32(nil), st[j]...))
				}
			}
			for j := range st {
				if q8 {
					x.State = append(x.State, kernels.State[float32]{Q: &o.q[j]})
				} else {
					x.State = append(x.State, kernels.State[float32]{Native: o.st[j]})
				}
			}
			if err := x.Check([]string{"Adam", "AMSGrad", "Lion", "Momentum"}[kernel]); err != nil {
				t.Fatal(err)
			}
			o.copy = x.Copy
			if err := kernels.SetImpl(impl); err != nil {
				t.Fatal(err)
			}
			sc := new(kernels.Scratch)
			switch kernel {
			case 0, 1:
				kernels.AdamStepMixed(&x, start, size, sc, &as)
			case 2:
				kernels.LionStepMixed(&x, start, size, sc, &ls)
			case 3:
				kernels.MomentumStepMixed(&x, start, size, sc, &ss, first)
			}
			if want == nil {
				want = o
				continue
			}
			for i := range o.p {
				if !same(o.p[i], want.p[i]) {
					t.Fatalf("impl=%s: p[%d] = %v, reference %v", impl, i, o.p[i], want.p[i])
				}
				if o.copy != nil && o.copy[i] != want.copy[i] && !(isNaN16(half, o.copy[i]) && isNaN16(half, want.copy[i])) {
					t.Fatalf("impl=%s: copy[%d] = %#04x, reference %#04x", impl, i, o.copy[i], want.copy[i])
				}
			}
			for j := range o.q {
				if !bytes.Equal(o.q[j].Codes, want.q[j].Codes) {
					t.Fatalf("impl=%s: state %d codes differ", impl, j)
				}
				for b := range o.q[j].Absmax {
					if math.Float32bits(o.q[j].Absmax[b]) != math.Float32bits(want.q[j].Absmax[b]) {
						t.Fatalf("impl=%s: state %d block %d maximum %v, reference %v", impl, j, b, o.q[j].Absmax[b], want.q[j].Absmax[b])
					}
				}
			}
			for j := range o.st {
				for i := range o.st[j] {
					if !same(o.st[j][i], want.st[j][i]) {
						t.Fatalf("impl=%s: state %d element %d = %v, reference %v", impl, j, i, o.st[j][i], want.st[j][i])
					}
				}
			}
		}
	})
}

// run64 checks float64 parameters with float32 gradients: every
// implementation against the plain float64 step on the widened gradient.
func run64(t *testing.T, p32, g32 []float32, st32 [][]float32, kernel uint8, start int, first bool,
	as *kernels.AdamScalars, ls *kernels.LionScalars, ss *kernels.SGDScalars) {
	wide := func(x []float32) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = float64(v)
		}
		return y
	}
	gw := wide(g32)
	for _, impl := range kernels.Available() {
		if err := kernels.SetImpl(impl); err != nil {
			t.Fatal(err)
		}
		p, pw := wide(p32), wide(p32)
		var st, sw [][]float64
		x := kernels.Mixed[float64]{P: p, G32: g32}
		for j := range st32 {
			st, sw = append(st, wide(st32[j])), append(sw, wide(st32[j]))
			x.State = append(x.State, kernels.State[float64]{Native: st[j]})
		}
		sc := new(kernels.Scratch)
		n := len(p)
		switch kernel {
		case 0:
			kernels.AdamStepMixed(&x, start, n, sc, as)
			kernels.AdamStep(pw[start:], gw[start:], sw[0][start:], sw[1][start:], as)
		case 1:
			kernels.AdamStepMixed(&x, start, n, sc, as)
			kernels.AMSGradStep(pw[start:], gw[start:], sw[0][start:], sw[1][start:], sw[2][start:], as)
		case 2:
			kernels.LionStepMixed(&x, start, n, sc, ls)
			kernels.LionStep(pw[start:], gw[start:], sw[0][start:], ls)
		case 3:
			kernels.MomentumStepMixed(&x, start, n, sc, ss, first)
			kernels.MomentumStep(pw[start:], gw[start:], sw[0][start:], ss, first)
		}
		for i := range p {
			if !same(p[i], pw[i]) {
				t.Fatalf("impl=%s: float64 p[%d] = %v, with the widened gradient %v", impl, i, p[i], pw[i])
			}
		}
		for j := range st {
			for i := range st[j] {
				if !same(st[j][i], sw[j][i]) {
					t.Fatalf("impl=%s: float64 state %d[%d] = %v, with the widened gradient %v", impl, j, i, st[j][i], sw[j][i])
				}
			}
		}
	}
}

func narrow(h kernels.Half, x float32) uint16 {
	if h == kernels.BF16 {
		return kernels.ToBF16(x)
	}
	return kernels.ToF16(x)
}

func isNaN16(h kernels.Half, x uint16) bool {
	if h == kernels.BF16 {
		return x&0x7fff > 0x7f80
	}
	return x&0x7fff > 0x7c00
}
