package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/descent-go/descent/bench"
	"github.com/descent-go/descent/kernels"
)

func TestInfo(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"info"}, &out, &errb), errb.String())
	for _, want := range []string{"cpu:", "caches:", "kernels:    " + kernels.Impl(), "blas:", "go:"} {
		assert.Contains(t, out.String(), want)
	}
}

// TestBenchJSON runs a tiny benchmark and checks the report: the roofline,
// every kernel × size × implementation asked for, and the derived columns.
func TestBenchJSON(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "b.svg")
	var out, errb bytes.Buffer
	code := run([]string{"bench", "--json", "--sizes", "1000,3000", "--kernels", "Adam,SGD,Lion", "--time", "1ms",
		"--stream-mib", "4", "--threads", "1,2", "--svg", svg}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	var rep benchReport
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Len(t, rep.Roofline, 2)
	for _, r := range rep.Roofline {
		assert.Positive(t, r.BytesSec)
		assert.Equal(t, max(r.Copy, r.RMW, r.Read), r.BytesSec)
	}
	impls := len(kernels.Available())
	require.Len(t, rep.Results, 3*2*2*2*impls) // kernels × dtypes × sizes × threads × impls
	for _, r := range rep.Results {
		assert.Positive(t, r.ElemsSec, "%+v", r)
		assert.InDelta(t, r.BytesSec/r.ElemsSec, map[string]float64{"Adam": 28, "SGD": 12, "Lion": 20}[r.Kernel]*map[string]float64{"f32": 1, "f64": 2}[r.DType], 1e-6)
		assert.Positive(t, r.PctRoofline)
		if r.Impl == "ref" {
			assert.Equal(t, 1.0, r.Speedup)
		}
	}
	// storage rows: Adam and Lion × 4 storages × sizes × threads, with the
	// bytes each must move and the ratio to the float32 row
	require.Len(t, rep.Storage, 2*4*2*2)
	for _, r := range rep.Storage {
		assert.Positive(t, r.ElemsSec, "%+v", r)
		want := map[string]float64{"Adam/f32": 28, "Adam/bf16-master": 28, "Adam/8bit": 16.0625, "Adam/8bit-bf16": 16.0625,
			"Lion/f32": 20, "Lion/bf16-master": 20, "Lion/8bit": 14.03125, "Lion/8bit-bf16": 14.03125}[r.Kernel+"/"+r.DType]
		assert.InDelta(t, want, r.BytesSec/r.ElemsSec, 1e-6, "%s/%s", r.Kernel, r.DType)
		assert.Equal(t, r.DType != "f32", r.VsF32 > 0, "%+v", r)
	}
	b, err := os.ReadFile(svg)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(b), "<svg"), "not an SVG")
	assert.Contains(t, errb.String(), "bench:", "progress on stderr")
}

// TestBenchReadOnlyProbe is issue 17's item 12: a read-only kernel is
// compared with the read probe, not with the best probe of the run (which
// is the read-modify-write one when a core streams more bytes in place), and
// the table and JSON say which probe each row is compared with.
func TestBenchReadOnlyProbe(t *testing.T) {
	roof := bench.Roofline{Threads: 1, Copy: 14e9, RMW: 26e9, Read: 12e9, BytesSec: 26e9}
	for _, k := range kernels.Catalog() {
		if k.Name != "SumSquares" && k.Name != "Dot" {
			continue
		}
		row := newBenchRow(bench.Result{Kernel: k.Name, BytesSec: 12e9}, bench.AccessOf(k, k.TypicalFlags), roof)
		assert.Equal(t, bench.AccessRead, row.Probe, k.Name)
		assert.Equal(t, 12e9, row.ProbeBytesSec, k.Name)
		assert.InDelta(t, 100, row.PctRoofline, 1e-9, "%s at the read probe's bandwidth", k.Name)
	}

	args := []string{"bench", "--sizes", "1000", "--kernels", "SumSquares,Dot,Adam", "--time", "1ms", "--stream-mib", "4"}
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(append(args, "--json"), &out, &errb), errb.String())
	var rep benchReport
	require.NoError(t, json.Unmarshal(out.Bytes(), &rep))
	require.Len(t, rep.Roofline, 1)
	r := rep.Roofline[0]
	want := map[string]bench.Access{"SumSquares": bench.AccessRead, "Dot": bench.AccessRead, "Adam": bench.AccessRMW}
	require.NotEmpty(t, rep.Results)
	for _, row := range rep.Results {
		assert.Equal(t, want[row.Kernel], row.Probe, row.Kernel)
		assert.Equal(t, r.Probe(want[row.Kernel]), row.ProbeBytesSec, row.Kernel)
		assert.InEpsilon(t, 100*row.BytesSec/r.Probe(want[row.Kernel]), row.PctRoofline, 1e-9, row.Kernel)
	}

	out.Reset()
	require.Equal(t, 0, run(args, &out, &errb), errb.String())
	assert.Regexp(t, `GB/s +probe +% roofline`, out.String())
	assert.Regexp(t, `(?m)^ *SumSquares .* read +\d+ `, out.String())
	assert.Regexp(t, `(?m)^ *Adam .* rmw +\d+ `, out.String())
}

func TestBenchBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--threads", "0"},
		{"bench", "--kernels", "Nope", "--sizes", "10"},
		{"bench", "--kernels", "Adam,Nope", "--sizes", "10"},
		{"bench", "--sizes", "x"},
		{"bench", "--plot", "Adam", "--svg", "x.svg", "--sizes", "10", "--kernels", "SGD"},
	} {
		var out, errb bytes.Buffer
		assert.NotEqual(t, 0, run(args, &out, &errb), "%v", args)
		assert.NotEmpty(t, errb.String(), "%v", args)
	}
}

// --format gotest prints Go benchmark lines (benchstat's input), --count
// times per case, under the configuration lines benchstat reads.
func TestBenchGoTest(t *testing.T) {
	code, out, e := runCmd(t, "bench", "--format", "gotest", "--count", "2", "--kernels", "Axpy", "--sizes", "64", "--time", "1ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	line := regexp.MustCompile(`^BenchmarkAxpy/f(32|64)/n=64/impl=[a-z0-9]+/threads=1-\d+\t +\d+\t +[0-9.]+ ns/op\t +[0-9.]+ MB/s\t +[0-9]+ elem/s$`)
	n := 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		switch {
		case strings.HasPrefix(l, "goos: "), strings.HasPrefix(l, "goarch: "), strings.HasPrefix(l, "pkg: "), strings.HasPrefix(l, "cpu: "):
		case line.MatchString(l):
			n++
		default:
			t.Errorf("not a benchmark line: %q", l)
		}
	}
	if want := 2 * 2 * len(kernels.Available()); n != want {
		t.Errorf("%d benchmark lines, want %d:\n%s", n, want, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--count", "2"}, "--count applies to --format gotest"},
		{[]string{"--format", "xml"}, `--format "xml"`},
		{[]string{"--json", "--format", "gotest"}, "exclude each other"},
		{[]string{"--format", "gotest", "--count", "0"}, "--count 0"},
	} {
		if code, _, e := runCmd(t, append([]string{"bench"}, c.args...)...); code != 1 || !strings.Contains(e, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, e, c.want)
		}
	}
}
