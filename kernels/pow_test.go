package kernels

import (
	"math"
	"math/big"
	"testing"
)

// TestOneMinusPow checks b^t against an exact computation with math/big
// (256-bit): correctly rounded everywhere tried, where math.Pow is not
// always; and 1 − b^t is 1 minus that.
func TestOneMinusPow(t *testing.T) {
	worstDD, worstPow := 0.0, 0.0
	for _, b := range []float64{0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 0.9999, 0.999999, 0.123456789} {
		for _, n := range []int{1, 2, 3, 7, 10, 19, 100, 1000, 12345, 1 << 20} {
			x := new(big.Float).SetPrec(256).SetFloat64(b)
			pw := new(big.Float).SetPrec(256).SetFloat64(1)
			for k := n; k > 0; k >>= 1 {
				if k&1 == 1 {
					pw.Mul(pw, x)
				}
				x.Mul(x, x)
			}
			want, _ := pw.Float64() // correctly rounded
			got := powInt(b, n)
			ulp := math.Nextafter(want, math.Inf(1)) - want
			if want == 0 {
				ulp = math.SmallestNonzeroFloat64
			}
			if d := math.Abs(got-want) / ulp; d > worstDD {
				worstDD = d
			}
			if d := math.Abs(math.Pow(b, float64(n))-want) / ulp; d > worstPow {
				worstPow = d
			}
			if got != want {
				t.Errorf("%v^%d = %v, correctly rounded %v (%.2f ulp)", b, n, got, want, math.Abs(got-want)/ulp)
			}
			if oneMinusPow(b, n) != 1-want {
				t.Errorf("1 − %v^%d = %v, want %v", b, n, oneMinusPow(b, n), 1-want)
			}
		}
	}
	t.Logf("worst error of b^t: double-double %.2f ulp, math.Pow %.2f ulp", worstDD, worstPow)
}
