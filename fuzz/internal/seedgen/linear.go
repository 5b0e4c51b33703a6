package main

import (
	"fmt"
	"math"
)

// Seeds of FuzzLinearF32 and FuzzLinearF64 (package fuzz's linear_test.go):
// arguments data (θ, then the labels, then X), shape and λ.

const (
	linLS = iota
	linRidge
	linLogistic
	linSoftmax
)

type linShape struct {
	kind, k   int
	intercept bool
	m, n      int
	small     int // block size 2…33
	bad       int // derived bad call 0…7
	penalty   bool
	off       int
}

func (s linShape) encode() uint32 {
	v := uint32(s.kind) | uint32(max(s.k-2, 0)%5)<<2 | uint32(s.m-1)<<6 | uint32(s.n-1)<<12 |
		uint32(s.small-2)<<16 | uint32(s.bad)<<21 | uint32(s.off)<<25
	if s.intercept {
		v |= 1 << 5
	}
	if s.penalty {
		v |= 1 << 24
	}
	return v
}

func (s linShape) params() int {
	k := 1
	if s.kind == linSoftmax {
		k = s.k
	}
	if s.intercept {
		return (s.n + 1) * k
	}
	return s.n * k
}

// Label class bytes (package fuzz's linLabel): b mod 8 in 0…4 is the valid
// label (b>>3) mod classes, 6 the odd label (b>>3) mod 12 of linOddLabels
// (2, −1, k, 0.5, −0, 1+2⁻²⁰, −2⁻²⁰, k−0.5, 1e30, k−1, 3, 2⁻¹⁴⁹).
func validLabel(c int) []byte { return []byte{byte(c << 3)} }
func oddLabel(i int) []byte   { return []byte{byte(6 | i<<3)} }

func labels(m, classes int) []byte {
	var b []byte
	for i := 0; i < m; i++ {
		b = append(b, validLabel(i%classes)...)
	}
	return b
}

func linLabels(s linShape) []byte {
	switch s.kind {
	case linLogistic:
		return labels(s.m, 2)
	case linSoftmax:
		return labels(s.m, s.k)
	}
	return nil
}

func linearTargets() []target {
	var ss []seed
	add := func(name string, data []byte, s linShape, lambda float64) {
		ss = append(ss, seed{"linear-" + name, []any{data, s.encode(), lambda}})
	}
	kinds := []string{"ls", "ridge", "logistic", "softmax"}
	// Shapes at block boundaries: m at, below and above the small block
	// size, several blocks, one row, the widest rows.
	shapes := []struct{ m, n, small int }{{1, 1, 2}, {2, 7, 2}, {16, 12, 16}, {17, 5, 16}, {33, 3, 16}, {64, 12, 31}, {15, 2, 5}}
	for kind, kn := range kinds {
		for si, sh := range shapes {
			s := linShape{kind: kind, k: 2 + (si+kind)%5, intercept: si%2 == 0, m: sh.m, n: sh.n, small: sh.small,
				penalty: si%3 == 1, off: si % 8}
			lam := []float64{0.5, 1e-3, 0, 3}[si%4]
			// Moderate pseudo-random values: labels valid, Check passes.
			add(fmt.Sprintf("%s-m%d-n%d-b%d-rand", kn, sh.m, sh.n, sh.small), nil, s, lam)
			// θ full of special values, then valid labels, then X special.
			var y []byte
			if kind == linLS || kind == linRidge {
				y = specials(s.m)
			} else {
				y = linLabels(s)
			}
			add(fmt.Sprintf("%s-m%d-n%d-b%d-special", kn, sh.m, sh.n, sh.small), cat(specials(s.params()), y, specials(s.m*s.n)), s, lam)
			add(fmt.Sprintf("%s-m%d-n%d-b%d-zeros", kn, sh.m, sh.n, sh.small), cat(zeros(s.params()), y, zeros(s.m*s.n)), s, lam)
		}
	}
	// Odd labels, one of each, in the middle of valid ones.
	for i := 0; i < 12; i++ {
		for _, kind := range []int{linLogistic, linSoftmax} {
			s := linShape{kind: kind, k: 3, m: 5, n: 2, small: 2}
			y := cat(validLabel(1), validLabel(0), oddLabel(i), validLabel(1), validLabel(2))
			add(fmt.Sprintf("%s-odd-label-%d", kinds[kind], i), cat(zeros(s.params()), y), s, 0)
		}
	}
	// Every derived bad call, and invalid, zero and extreme penalties.
	for bad := 1; bad <= 6; bad++ {
		add(fmt.Sprintf("bad-call-%d", bad), nil, linShape{kind: bad % 4, k: 4, intercept: bad%2 == 1, m: 3, n: 4, small: 2, bad: bad, penalty: true}, 0.1)
	}
	for i, lam := range []float64{-1, math.NaN(), math.Inf(1), math.Inf(-1), math.Copysign(0, -1), 1e300, 5e-324, 1e30} {
		add(fmt.Sprintf("lambda-%d", i), nil, linShape{kind: []int{linRidge, linLogistic, linSoftmax}[i%3], k: 3, m: 9, n: 3, small: 4, penalty: true}, lam)
	}
	// Large logits (up to ±|x|·|θ|·n with |x|, |θ| < 2^15) and huge values.
	big := [][]byte{moderate(32000, 7), moderate(-31000, 7), huge(false), moderate(1, -8), moderate(-12345, 3)}
	for kind, kn := range kinds {
		s := linShape{kind: kind, k: 6, intercept: true, m: 8, n: 4, small: 3}
		add(kn+"-large", cat(cycle(big, s.params()), linLabels(s), cycle(big, s.m*s.n)), s, 0)
	}
	// Inputs that meet linear's documented statements only as package fuzz
	// amends them (see linear_test.go, DESCENT_FUZZ_STRICT_DOC):
	//
	// float32 logistic, x = 6.02734375, θ = 1.6575927734375, y = 1: the
	// logit 9.990881443… rounds to float32, which moves r = σ(z) − 1 ≈
	// −4.58e−5 by 2.5e−11, more than 2(m+n)·ε·|r|.
	add("docbound-logistic-f32", cat(moderate(13579, -5), validLabel(1), moderate(12344, -3)),
		linShape{kind: linLogistic, m: 1, n: 1, small: 2}, 0)
	// float64 least squares, y = the naive float64 x·θ: r = 0 in the
	// reference, the BLAS dot product rounds differently, so the gradient is
	// ≈ −1.7e−13 while 2(m+n)·ε·Σ|x·r| = 0.
	add("docbound-ls-f64", cat(rawBits(0x4019e0000130f0e0), rawBits(0x401b300000174210), rawBits(0xc01e100000edae80),
		rawBits(0x40570f7000d78c09), moderate(3052, 0), moderate(888, 0), moderate(288, 0)),
		linShape{kind: linLS, m: 1, n: 3, small: 2}, 0)
	// softmax, θ = [W 0, 0 | b 0, −Inf], x = 1, y = 0: the class that is
	// never the label has logit −Inf and the loss is 0 (finite).
	add("doctheta-softmax-neginf", cat(zeros(3), []byte{0x1c}, validLabel(0), moderate(256, 0)),
		linShape{kind: linSoftmax, k: 2, intercept: true, m: 1, n: 1, small: 2}, 0)
	// softmax, x = 0, a NaN weight: gonum's Dgemm skips zero entries of X,
	// so the loss is log 4 with gonum (NaN with OpenBLAS).
	add("doctheta-softmax-nan", cat(zeros(3), nan(0x1234), validLabel(2), zeros(1)),
		linShape{kind: linSoftmax, k: 4, m: 1, n: 1, small: 2}, 0)
	return []target{{"FuzzLinearF32", ss}, {"FuzzLinearF64", ss}}
}

// cycle is n elements taken from vals in turn.
func cycle(vals [][]byte, n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, vals[i%len(vals)]...)
	}
	return b
}
