package elem

import (
	"math"
	"math/big"
)

// A 300-bit math/big reference for exp and log, for the accuracy tests.

const prec = 300

func bf(x float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(x) }

// bigExp returns eˣ: x is halved s times until |x| < 2⁻⁸, the Taylor series is
// summed, and the result squared s times.
func bigExp(x *big.Float) *big.Float {
	r := new(big.Float).SetPrec(prec).Set(x)
	s := 0
	if e := r.MantExp(nil); e > -8 && r.Sign() != 0 {
		s = e + 8
		r.SetMantExp(r, -s)
	}
	sum := bf(1)
	term := bf(1)
	for i := 1; i < 200; i++ {
		term.Mul(term, r)
		term.Quo(term, bf(float64(i)))
		sum.Add(sum, term)
		if term.Sign() == 0 || term.MantExp(nil)-sum.MantExp(nil) < -prec-4 {
			break
		}
	}
	for ; s > 0; s-- {
		sum.Mul(sum, sum)
	}
	return sum
}

// bigLog returns log a for a > 0 by Halley's iteration from a float64 guess.
func bigLog(a *big.Float) *big.Float {
	mant := new(big.Float)
	e := a.MantExp(mant)
	mf, _ := mant.Float64()
	y := bf(math.Log(mf) + float64(e)*math.Ln2)
	for i := 0; i < 4; i++ {
		ey := bigExp(y)
		num := new(big.Float).SetPrec(prec).Sub(a, ey)
		den := new(big.Float).SetPrec(prec).Add(a, ey)
		num.Quo(num, den)
		num.Mul(num, bf(2))
		y.Add(y, num)
	}
	return y
}

// bigLog1p returns log(1+u) for u ≥ 0, by its series when u is tiny.
func bigLog1p(u *big.Float) *big.Float {
	if u.Sign() == 0 {
		return bf(0)
	}
	if u.MantExp(nil) < -40 {
		// u − u²/2 + u³/3 − …
		sum := bf(0)
		p := bf(1)
		for i := 1; i < 12; i++ {
			p.Mul(p, u)
			t := new(big.Float).SetPrec(prec).Quo(p, bf(float64(i)))
			if i%2 == 0 {
				sum.Sub(sum, t)
			} else {
				sum.Add(sum, t)
			}
		}
		return sum
	}
	return bigLog(new(big.Float).SetPrec(prec).Add(bf(1), u))
}

func refSigmoid(x float64) *big.Float {
	d := new(big.Float).SetPrec(prec).Add(bf(1), bigExp(bf(-x)))
	return new(big.Float).SetPrec(prec).Quo(bf(1), d)
}

func refSoftplus(x float64) *big.Float { return bigLog1p(bigExp(bf(x))) }

func refLogSumExp(x []float64) *big.Float {
	s := bf(0)
	for _, v := range x {
		s.Add(s, bigExp(bf(v)))
	}
	return bigLog(s)
}

func refSoftmax(x []float64) []*big.Float {
	s := bf(0)
	e := make([]*big.Float, len(x))
	for i, v := range x {
		e[i] = bigExp(bf(v))
		s.Add(s, e[i])
	}
	for i := range e {
		e[i].Quo(e[i], s)
	}
	return e
}

// ulps returns |got − want| in units of the last place of T at want
// (subnormal spacing below the normal range).
func ulps[T Float](got T, want *big.Float) float64 {
	w, _ := want.Float64()
	var ulp float64
	if _, is32 := any(got).(float32); is32 {
		w32 := float32(math.Abs(w))
		ulp = float64(math.Nextafter32(w32, float32(math.Inf(1))) - w32)
	} else {
		ulp = math.Nextafter(math.Abs(w), math.Inf(1)) - math.Abs(w)
	}
	d := new(big.Float).SetPrec(prec).Sub(bf(float64(got)), want)
	df, _ := d.Float64()
	return math.Abs(df) / ulp
}

// absErr returns |got − want| as a float64.
func absErr(got float64, want *big.Float) float64 {
	d := new(big.Float).SetPrec(prec).Sub(bf(got), want)
	df, _ := d.Float64()
	return math.Abs(df)
}
