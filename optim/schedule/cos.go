package schedule

import "math"

// cos returns cos(x) for 0 ≤ x < 2^29 with the same bits on every CPU.
//
// Go's math.Cos is not portable: its polynomial is written as products
// followed by sums, which the compiler fuses into FMAs on arm64 (and not on
// amd64), so cos(π·20/28) differs by one ULP between the two. A schedule's
// rate feeds every parameter update, so that would break the bit-identical
// trajectories descent promises across CPUs. This is the same algorithm
// (Cody–Waite reduction by π/4 in three parts, Cephes' minimax polynomials
// on [−π/4, π/4]) with every product rounded explicitly by a float64
// conversion, so it gives math.Cos's amd64 bits everywhere.
func cos(x float64) float64 {
	const (
		pi4a = 7.85398125648498535156e-1  // π/4 in three parts: 0x3fe921fb40000000
		pi4b = 3.77489470793079817668e-8  // 0x3e64442d00000000
		pi4c = 2.69515142907905952645e-15 // 0x3ce8469898cc5170
	)
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x) >= 1<<29 {
		return math.Cos(x) // not reached by the schedules: π·fraction of a cycle
	}
	x = math.Abs(x)
	j := uint64(float64(x * (4 / math.Pi))) // octant
	y := float64(j)
	if j&1 == 1 { // map odd octants to the next even one
		j++
		y++
	}
	j &= 7
	z := float64(float64(x-float64(y*pi4a))-float64(y*pi4b)) - float64(y*pi4c)
	neg := false
	if j > 3 {
		j -= 4
		neg = !neg
	}
	if j > 1 {
		neg = !neg
	}
	zz := float64(z * z)
	var r float64
	if j == 1 || j == 2 {
		r = z + float64(float64(z*zz)*horner(zz, sinCoef[:]))
	} else {
		r = float64(1.0-float64(0.5*zz)) + float64(float64(zz*zz)*horner(zz, cosCoef[:]))
	}
	if neg {
		r = -r
	}
	return r
}

// horner evaluates ((c0·z + c1)·z + c2)·z … + cn with every product rounded.
func horner(z float64, c []float64) float64 {
	p := c[0]
	for _, ci := range c[1:] {
		p = float64(p*z) + ci
	}
	return p
}

// Cephes' coefficients for sin and cos on [−π/4, π/4] (as in Go's math).
var (
	sinCoef = [...]float64{
		1.58962301576546568060e-10, -2.50507477628578072866e-8, 2.75573136213857245213e-6,
		-1.98412698295895385996e-4, 8.33333333332211858878e-3, -1.66666666666666307295e-1,
	}
	cosCoef = [...]float64{
		-1.13585365213876817300e-11, 2.08757008419747316778e-9, -2.75573141792967388112e-7,
		2.48015872888517045348e-5, -1.38888888888730564116e-3, 4.16666666666665929218e-2,
	}
)
