package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// convCalls returns every conversion of c as a call over operands of n
// elements (with a partial last group when n is not a multiple of 64), and
// the bytes each call reads and writes.
func convCalls(c *asm.Conv, n int) (names []string, calls map[string]func(), bytes map[string]int) {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	x, y := make([]float32, n), make([]float32, n)
	h := make([]uint16, n)
	codes := make([]uint8, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
		h[i] = ToBF16(x[i])
		codes[i] = uint8(r.Uint32())
	}
	a := absMaxRef(x)
	q, d := Q8Scales(a)
	names = []string{"WidenBF16", "WidenF16", "NarrowBF16", "NarrowF16", "AbsMax",
		"Q8EncodeSigned", "Q8EncodeUnsigned", "Q8DecodeSigned", "Q8DecodeUnsigned"}
	calls = map[string]func(){
		"WidenBF16":        func() { c.WidenBF16(y, h) },
		"WidenF16":         func() { c.WidenF16(y, h) },
		"NarrowBF16":       func() { c.NarrowBF16(h, x) },
		"NarrowF16":        func() { c.NarrowF16(h, x) },
		"AbsMax":           func() { c.AbsMax(x) },
		"Q8EncodeSigned":   func() { c.Q8EncodeSigned(codes, x, q) },
		"Q8EncodeUnsigned": func() { c.Q8EncodeUnsigned(codes, x, q) },
		"Q8DecodeSigned":   func() { c.Q8DecodeSigned(y, codes, d) },
		"Q8DecodeUnsigned": func() { c.Q8DecodeUnsigned(y, codes, d) },
	}
	bytes = map[string]int{
		"WidenBF16": 6 * n, "WidenF16": 6 * n, "NarrowBF16": 6 * n, "NarrowF16": 6 * n, "AbsMax": 4 * n,
		"Q8EncodeSigned": 5 * n, "Q8EncodeUnsigned": 5 * n, "Q8DecodeSigned": 5 * n, "Q8DecodeUnsigned": 5 * n,
	}
	return names, calls, bytes
}

// The conversions allocate nothing, the partial last group (through a
// buffer) included.
func TestConvNoAllocs(t *testing.T) {
	for _, nc := range convsUnderTest(t) {
		name, c := nc.name, nc.c
		for _, n := range []int{0, 5, Q8Block, Q8Block + 37} {
			names, calls, _ := convCalls(c, n)
			for _, f := range names {
				if a := testing.AllocsPerRun(10, calls[f]); a != 0 {
					t.Errorf("impl=%s %s n=%d: %g allocations", name, f, n, a)
				}
			}
		}
	}
}

// BenchmarkConv/<conversion>/n=<n>/impl=<implementation or variant>: n = Q8Block is
// the block mixed steps convert (L1-resident), 65536 a whole tensor.
func BenchmarkConv(b *testing.B) {
	impls := convsUnderTest(b)
	for _, n := range []int{Q8Block, 65536} {
		for _, nc := range impls {
			name, c := nc.name, nc.c
			names, calls, bytes := convCalls(c, n)
			for _, f := range names {
				b.Run(fmt.Sprintf("%s/n=%d/impl=%s", f, n, name), func(b *testing.B) {
					call := calls[f]
					b.SetBytes(int64(bytes[f]))
					for b.Loop() {
						call()
					}
					b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "elems/s")
				})
			}
		}
	}
}

// BenchmarkAdamStepMixed/n=65536/impl=<implementation>: an 8-bit Adam step
// over bfloat16 gradients, float32 master weights rounded to a bfloat16
// copy, and the moments quantized (signed m, unsigned v) — the conversions
// around the unchanged Adam kernel, block by block.
func BenchmarkAdamStepMixed(b *testing.B) {
	const n = 65536
	r := rand.New(rand.NewPCG(2, 3))
	p, g := make([]float32, n), make([]float32, n)
	for i := range p {
		p[i], g[i] = float32(r.NormFloat64()), float32(r.NormFloat64())*1e-2
	}
	x := &Mixed[float32]{P: p, Copy: make([]uint16, n), CopyFormat: BF16, G16: make([]uint16, n), GFormat: BF16}
	Narrow(BF16, x.G16, g)
	m, v := NewQ8(Q8Signed, n), NewQ8(Q8Unsigned, n)
	x.State = []State[float32]{{Q: &m}, {Q: &v}}
	if err := x.Check("Adam"); err != nil {
		b.Fatal(err)
	}
	as := DefaultAdam().Scalars(1, 1)
	var sc Scratch
	old := Impl()
	defer SetImpl(old)
	for _, name := range Available() {
		b.Run(fmt.Sprintf("n=%d/impl=%s", n, name), func(b *testing.B) {
			if err := SetImpl(name); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				AdamStepMixed(x, 0, n, &sc, &as)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "elems/s")
		})
	}
}
