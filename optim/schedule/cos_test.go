package schedule

import (
	"math"
	"runtime"
	"testing"
)

// TestCos checks the portable cosine: within one ULP of math.Cos everywhere,
// and equal to it bit for bit on amd64, where Go does not fuse the
// polynomial's products and sums. (On arm64 math.Cos itself is the one that
// differs: optim's TestPortableTrajectory checks that schedules give amd64's
// bits there.)
func TestCos(t *testing.T) {
	diff := 0
	for i := 0; i <= 200000; i++ {
		x := math.Pi * float64(i) / 200000
		for _, x := range []float64{x, -x, 7 * x} {
			got, want := cos(x), math.Cos(x)
			if got != want {
				diff++
				ulp := math.Abs(math.Nextafter(want, math.Inf(1)) - want)
				if math.Abs(got-want) > ulp {
					t.Fatalf("cos(%v) = %v, math.Cos %v: more than one ULP apart", x, got, want)
				}
				if runtime.GOARCH == "amd64" {
					t.Fatalf("cos(%v) = %v (%#x), math.Cos %v (%#x)", x, got, math.Float64bits(got), want, math.Float64bits(want))
				}
			}
		}
	}
	t.Logf("%d of 600003 values differ from this CPU's math.Cos by one ULP", diff)
}
