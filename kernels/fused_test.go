package kernels

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestFusedMatchesStaged: where an implementation has fused storage
// lowerings (asm.Fused), the mixed steps give the staged path's bits —
// master weights, bfloat16 copies, codes and block maxima — for Adam (with
// and without L2) and Lion, float32 and bfloat16 gradients, over whole
// blocks and a partial last one, with special values in every stream.
func TestFusedMatchesStaged(t *testing.T) {
	for _, im := range available {
		if im.fused == nil {
			continue
		}
		for _, kernel := range []string{"Adam", "Lion"} {
			for _, half := range []bool{false, true} {
				for _, wd := range []float64{0, 0.01} {
					for _, n := range []int{256, 512 + 17, 3 * 256, 2*256 + 255} {
						name := fmt.Sprintf("%s/%s/half=%v/wd=%v/n=%d", im.t32.Name, kernel, half, wd, n)
						want := fusedCase(t, im, false, kernel, half, wd, n)
						got := fusedCase(t, im, true, kernel, half, wd, n)
						for i := range want.p {
							if !same(got.p[i], want.p[i]) {
								t.Fatalf("%s: p[%d] = %v, staged %v", name, i, got.p[i], want.p[i])
							}
						}
						for i := range want.copy {
							if got.copy[i] != want.copy[i] && !(got.copy[i]&0x7fff > 0x7f80 && want.copy[i]&0x7fff > 0x7f80) {
								t.Fatalf("%s: copy[%d] = %#04x, staged %#04x", name, i, got.copy[i], want.copy[i])
							}
						}
						for j := range want.q {
							if !bytes.Equal(got.q[j].Codes, want.q[j].Codes) {
								for i := range got.q[j].Codes {
									if got.q[j].Codes[i] != want.q[j].Codes[i] {
										t.Fatalf("%s: state %d code %d = %#02x, staged %#02x", name, j, i, got.q[j].Codes[i], want.q[j].Codes[i])
									}
								}
							}
							for b := range want.q[j].Absmax {
								if math.Float32bits(got.q[j].Absmax[b]) != math.Float32bits(want.q[j].Absmax[b]) {
									t.Fatalf("%s: state %d block %d maximum %v, staged %v", name, j, b, got.q[j].Absmax[b], want.q[j].Absmax[b])
								}
							}
						}
					}
				}
			}
		}
	}
}

type fusedOut struct {
	p    []float32
	copy []uint16
	q    []Q8
}

// fusedCase runs three steps of kernel on fresh data with implementation
// im, its fused lowerings on or off.
func fusedCase(t *testing.T, im impl, fused bool, kernel string, half bool, wd float64, n int) fusedOut {
	t.Helper()
	old := cur
	defer func() { cur = old }()
	cur = im
	if !fused {
		cur.fused = nil
	}
	r := rand.New(rand.NewPCG(uint64(n), 7))
	val := func(i int) float32 {
		switch {
		case i == 5:
			return float32(math.NaN())
		case i == 300:
			return float32(math.Inf(-1))
		case i%97 == 3:
			return 0
		case i%89 == 1:
			return 1e-40 // subnormal
		}
		return float32(r.NormFloat64() * math.Exp(2*r.NormFloat64()))
	}
	o := fusedOut{p: make([]float32, n)}
	for i := range o.p {
		o.p[i] = val(i + 1000)
	}
	x := Mixed[float32]{P: o.p}
	g := make([]float32, n)
	if half {
		x.G16, x.GFormat = make([]uint16, n), BF16
		x.Copy, x.CopyFormat = make([]uint16, n), BF16
		o.copy = x.Copy
	} else {
		x.G = g
	}
	maps := []Q8Map{Q8Signed, Q8Unsigned}
	if kernel == "Lion" {
		maps = maps[:1]
	}
	o.q = make([]Q8, len(maps))
	for j, m := range maps {
		o.q[j] = NewQ8(m, n)
		x.State = append(x.State, State[float32]{Q: &o.q[j]})
	}
	if err := x.Check(kernel); err != nil {
		t.Fatal(err)
	}
	sc := new(Scratch)
	as := Adam{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: wd}.Scalars(2, 1)
	ls := Lion{LR: 1e-4, Beta1: 0.9, Beta2: 0.99, WeightDecay: wd}.Scalars(1)
	for step := range 3 {
		for i := range g {
			g[i] = val(i + step*7)
			if half {
				x.G16[i] = ToBF16(g[i])
			}
		}
		if kernel == "Lion" {
			LionStepMixed(&x, 0, n, sc, &ls)
		} else {
			AdamStepMixed(&x, 0, n, sc, &as)
		}
	}
	return o
}

// TestFusedEncodeTies drives the fused lowerings' encoder through its ties:
// Lion with β2 = 0 makes the new moment the gradient itself, and a block
// whose largest gradient is Q8Top has the encoding factor 1, so every
// midpoint between two values of the signed map (and its neighbours) is
// encoded as given.
func TestFusedEncodeTies(t *testing.T) {
	var g []float32
	for c := 0; c < 127; c++ {
		lo, hi := float64(Q8Signed.Value(uint8(c))), float64(Q8Signed.Value(uint8(c+1)))
		mid := float32((lo + hi) / 2)
		g = append(g, mid, -mid, math.Nextafter32(mid, 0), math.Nextafter32(mid, 2))
	}
	for len(g)%Q8Block != 0 {
		g = append(g, 0)
	}
	for b := 0; b < len(g); b += Q8Block {
		g[b] = Q8Top
	}
	for _, im := range available {
		if im.fused == nil {
			continue
		}
		run := func(fused bool) Q8 {
			old := cur
			defer func() { cur = old }()
			cur = im
			if !fused {
				cur.fused = nil
			}
			n := len(g)
			q := NewQ8(Q8Signed, n)
			x := Mixed[float32]{P: make([]float32, n), G: g, State: []State[float32]{{Q: &q}}}
			s := Lion{LR: 1e-3, Beta1: 0.9, Beta2: 0}.Scalars(1)
			LionStepMixed(&x, 0, n, new(Scratch), &s)
			return q
		}
		want, got := run(false), run(true)
		for i := range want.Codes {
			if got.Codes[i] != want.Codes[i] {
				t.Fatalf("%s: code %d of %v = %#02x, staged %#02x", im.t32.Name, i, g[i], got.Codes[i], want.Codes[i])
			}
		}
		if want.Absmax[0] != Q8Top {
			t.Fatalf("block maximum %v, want Q8Top", want.Absmax[0])
		}
	}
}
