package linear_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/descent-go/descent/blas"
	"github.com/descent-go/descent/linear"
)

// What is and is not bit-identical across CPUs, with the pure-Go (gonum)
// backend. TestPortableGolden computes LossGrad for every objective, both
// element types, with and without intercept and L2, on inputs built from
// integers by correctly rounded divisions (identical everywhere), and
// hashes the loss and gradient. testdata/portable.golden holds the digests
// recorded on each kind of CPU:
//
//	amd64+fma  amd64 with AVX and FMA (what math.Exp's assembly checks)
//	amd64      amd64 without them (recorded with GODEBUG=cpu.fma=off)
//	arm64      arm64 (recorded under qemu-aarch64)
//
// The test checks this machine against its own line, so results are
// reproducible on one kind of CPU, and checks what the golden lines say
// about each other, which is what linear's doc states:
//   - amd64 and arm64 differ (gonum's BLAS is SSE assembly on amd64 and Go
//     that the compiler fuses into FMAs on arm64; math.Exp and math.Log1p
//     differ too);
//   - on amd64, least squares does not depend on FMA, logistic and softmax
//     do (math.Exp's assembly uses FMA when the CPU has it).
//
// Record after a deliberate change, on each kind:
//
//	go test -tags noopenblas ./linear -run PortableGolden -update
//	GODEBUG=cpu.fma=off go test -tags noopenblas ./linear -run PortableGolden -update
//	CGO_ENABLED=0 GOARCH=arm64 go test -exec qemu-aarch64 ./linear -run PortableGolden -update
var update = flag.Bool("update", false, "rewrite this CPU kind's line in testdata/portable.golden")

const portableGolden = "testdata/portable.golden"

// cpuKind names the kind of CPU for the golden file.
func cpuKind() string {
	if runtime.GOARCH == "amd64" && cpu.X86.HasAVX && cpu.X86.HasFMA {
		return "amd64+fma"
	}
	return runtime.GOARCH
}

// exact returns n values k/d, k in −1000 … 1000 from a linear congruential
// sequence: each a correctly rounded division, so the same everywhere.
func exact(n int, seed uint64, d float64) []float64 {
	v := make([]float64, n)
	s := seed
	for i := range v {
		s = s*6364136223846793005 + 1442695040888963407
		v[i] = float64(int64(s>>40)%2001-1000) / d
	}
	return v
}

// aligned returns a copy of v as T, starting off elements after a 64-byte
// boundary.
func aligned[T linear.Float](v []float64, off int) []T {
	buf := make([]T, len(v)+off+64)
	for uintptr(unsafe.Pointer(&buf[0]))%64 != 0 {
		buf = buf[1:]
	}
	out := buf[off : off+len(v)]
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

type portableCase struct {
	name      string
	obj       linear.Objective
	intercept bool
	l2        float64
}

func portableCases() []portableCase {
	var cs []portableCase
	for _, obj := range []linear.Objective{linear.SquaredError, linear.BinaryCrossEntropy, linear.CrossEntropy} {
		cs = append(cs, portableCase{obj.String(), obj, false, 0}, portableCase{obj.String() + "+intercept+l2", obj, true, 0.01})
	}
	return cs
}

// portableDigest returns the digest of the loss and gradient of case c for
// element type T, with X, y, θ and the gradient off elements past a 64-byte
// boundary. 150 rows in blocks of 64 (two full blocks and a tail), 13
// features, 4 classes for softmax.
func portableDigest[T linear.Float](c portableCase, off int) string {
	const m, n, k = 150, 13, 4
	o := linear.Options{BLAS: blas.Gonum, Intercept: c.intercept, L2: c.l2, BlockRows: 64}
	var md *linear.Model[T]
	yv := make([]float64, m)
	switch c.obj {
	case linear.SquaredError:
		md = linear.NewLeastSquares[T](n, o)
		yv = exact(m, 2, 100)
	case linear.BinaryCrossEntropy:
		md = linear.NewLogistic[T](n, o)
		for i := range yv {
			yv[i] = float64(i % 2)
		}
	default:
		md = linear.NewSoftmax[T](n, k, o)
		for i := range yv {
			yv[i] = float64(i % k)
		}
	}
	x := aligned[T](exact(m*n, 1, 300), off)
	y := aligned[T](yv, off)
	th := aligned[T](exact(md.NumParams(), 3, 2000), off)
	g := aligned[T](make([]float64, md.NumParams()), off)
	loss := md.LossGrad(th, x, y, g)
	var b []byte
	for _, v := range append([]T{loss}, g...) {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(float64(v)))
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))[:32]
}

func portableDigests(off int) map[string]string {
	out := map[string]string{}
	for _, c := range portableCases() {
		out[c.name+"/float64"] = portableDigest[float64](c, off)
		out[c.name+"/float32"] = portableDigest[float32](c, off)
	}
	return out
}

// readPortableGolden returns kind → case → digest.
func readPortableGolden(t *testing.T) map[string]map[string]string {
	f, err := os.Open(portableGolden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := map[string]map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) != 3 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		if g[fs[0]] == nil {
			g[fs[0]] = map[string]string{}
		}
		g[fs[0]][fs[1]] = fs[2]
	}
	return g
}

func TestPortableGolden(t *testing.T) {
	kind := cpuKind()
	got := portableDigests(0)
	golden := readPortableGolden(t)
	if *update {
		golden[kind] = got
		var b strings.Builder
		b.WriteString("# kind case digest: linear's LossGrad with gonum's BLAS on exact inputs; see portable_test.go.\n")
		var kinds []string
		for k := range golden {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			var cs []string
			for c := range golden[k] {
				cs = append(cs, c)
			}
			sort.Strings(cs)
			for _, c := range cs {
				fmt.Fprintf(&b, "%s %s %s\n", k, c, golden[k][c])
			}
		}
		if err := os.WriteFile(portableGolden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, ok := golden[kind]
	if !ok {
		t.Skipf("no digests recorded for %s in %s", kind, portableGolden)
	}
	for c, d := range got {
		if want[c] != d {
			t.Errorf("%s on %s: digest %s, recorded %s: linear's results changed on this kind of CPU", c, kind, d, want[c])
		}
	}
}

// The claims linear's doc makes, checked on the recorded digests.
func TestPortableClaims(t *testing.T) {
	g := readPortableGolden(t)
	amd, amdNoFMA, arm := g["amd64+fma"], g["amd64"], g["arm64"]
	if amd == nil || amdNoFMA == nil || arm == nil {
		t.Fatalf("%s lacks a kind: have %d", portableGolden, len(g))
	}
	same := 0
	for c, d := range amd {
		if arm[c] == d {
			same++
			t.Logf("%s: amd64 and arm64 agree", c)
		}
	}
	if same == len(amd) {
		t.Error("amd64 and arm64 now give the same bits in every case: update linear's doc and the README")
	}
	for c, d := range amd {
		ls := strings.HasPrefix(c, linear.SquaredError.String())
		if ls && amdNoFMA[c] != d {
			t.Errorf("%s: on amd64 least squares depends on FMA, which linear's doc denies", c)
		}
		if !ls && amdNoFMA[c] == d {
			t.Logf("%s: amd64 with and without FMA agree here", c)
		}
	}
}

// Where the slices lie does not change the results, except for float32 on
// amd64: gonum's float32 dot-product assembly first steps to an aligned
// address, so the order of its sums depends on the slices' alignment.
func TestPortableAlignment(t *testing.T) {
	base := portableDigests(0)
	for off := 1; off < 4; off++ {
		for c, d := range portableDigests(off) {
			if d == base[c] {
				continue
			}
			if runtime.GOARCH == "amd64" && strings.HasSuffix(c, "/float32") {
				t.Logf("%s at offset %d: other bits (float32 on amd64, as documented)", c, off)
				continue
			}
			t.Errorf("%s: X, y and θ %d elements past a 64-byte boundary give other bits", c, off)
		}
	}
}
