package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/klauspost/cpuid/v2"

	"github.com/descent-go/descent/bench"
	"github.com/descent-go/descent/kernels"
)

func init() {
	register(command{"bench", "benchmark every kernel beside the machine's streaming bandwidth", runBench})
}

// benchReport is what --json prints.
type benchReport struct {
	CPU      string           `json:"cpu"`
	Arch     string           `json:"arch"`
	Impl     string           `json:"impl"`
	Go       string           `json:"go"`
	Roofline []bench.Roofline `json:"roofline"`
	Results  []benchRow       `json:"results"`
	Storage  []storageRow     `json:"storage"`
}

// storageRow is a storage benchmark (bench.StorageCases): an update rule
// over 16-bit or 8-bit storage, compared with the same rule in float32.
type storageRow struct {
	benchRow
	StateBytes float64 `json:"state_bytes_per_param"` // master weights and state the optimizer keeps per parameter
	VsF32      float64 `json:"speedup_vs_f32"`        // elements/s over the float32 storage's, same kernel, n and threads
}

type benchRow struct {
	bench.Result
	Probe         bench.Access `json:"probe"`             // the kernel's access pattern: the roofline probe it is compared with
	ProbeBytesSec float64      `json:"probe_bytes_per_s"` // that probe's bandwidth, same thread count
	PctRoofline   float64      `json:"pct_roofline"`      // bytes/s over the probe's
	Speedup       float64      `json:"speedup_vs_ref"`    // over the reference, same dtype, n and threads
}

// newBenchRow compares a result with the roofline probe of its kernel's
// access pattern (read-only kernels with the read probe, in-place updates
// with the read-modify-write one, …), measured on as many threads.
func newBenchRow(res bench.Result, access bench.Access, roof bench.Roofline) benchRow {
	probe := roof.Probe(access)
	return benchRow{Result: res, Probe: access, ProbeBytesSec: probe, PctRoofline: 100 * res.BytesSec / probe}
}

func runBench(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", stderr)
	quick := fs.Bool("quick", false, "float32 only, two sizes, short timings: about half a minute")
	asJSON := fs.Bool("json", false, "print the report as JSON (--format json)")
	format := fs.String("format", "text", "report format: text, json, or gotest (Go benchmark lines that benchstat reads; no roofline)")
	count := fs.Int("count", 1, "with --format gotest: measure every case this many times")
	svg := fs.String("svg", "", "draw throughput against size with the roofline into this SVG file")
	plotKernel := fs.String("plot", "Adam/f32", "kernel/dtype drawn by --svg")
	threads := fs.String("threads", "1", "comma-separated goroutine counts, to measure multi-core scaling")
	only := fs.String("kernels", "", "comma-separated kernel names of the catalog (default all: "+strings.Join(kernelNames(), ",")+")")
	minTime := fs.Duration("time", 300*time.Millisecond, "minimum time per measurement")
	sizeList := fs.String("sizes", "", "comma-separated lengths (default 4096,65536,1048576,16777216)")
	streamMiB := fs.Int("stream-mib", bench.StreamBytes>>20, "size of each roofline probe buffer in MiB (default: twice the L3)")
	if err := parse(fs, args); err != nil {
		return err
	}
	ths, err := parseInts(*threads)
	if err != nil {
		return fmt.Errorf("--threads: %v", err)
	}
	if *asJSON {
		if flagSet(fs, "format") && *format != "json" {
			return fmt.Errorf("--json and --format %s exclude each other", *format)
		}
		*format = "json"
	}
	switch {
	case *format != "text" && *format != "json" && *format != "gotest":
		return fmt.Errorf("--format %q: want text, json or gotest", *format)
	case *count < 1:
		return fmt.Errorf("--count %d: want at least 1", *count)
	case *count > 1 && *format != "gotest":
		return errors.New("--count applies to --format gotest (text and json report one measurement per case)")
	}
	sizes, dtypes := bench.Sizes, []string{"f32", "f64"}
	if *quick {
		sizes, dtypes = []int{65536, 1 << 24}, []string{"f32"}
		if !flagSet(fs, "time") {
			*minTime = 40 * time.Millisecond
		}
	}
	if *sizeList != "" {
		if sizes, err = parseInts(*sizeList); err != nil {
			return fmt.Errorf("--sizes: %v", err)
		}
	}
	if *streamMiB < 1 {
		return fmt.Errorf("--stream-mib %d: want at least 1", *streamMiB)
	}
	bench.StreamBytes = *streamMiB << 20
	var want []string
	if *only != "" {
		want = strings.Split(*only, ",")
		for _, k := range want {
			if !contains(kernelNames(), k) {
				return fmt.Errorf("--kernels: no kernel %q in the catalog (have %s)", k, strings.Join(kernelNames(), ","))
			}
		}
	}
	var cases []bench.Case
	for _, c := range bench.Cases(sizes) {
		if contains(dtypes, c.DType) && (want == nil || contains(want, c.Kernel.Name)) {
			cases = append(cases, c)
		}
	}
	var scases []bench.StorageCase
	for _, c := range bench.StorageCases(sizes) {
		if want == nil || contains(want, c.Kernel) {
			scases = append(scases, c)
		}
	}

	if *format == "gotest" {
		return benchGoTest(stdout, stderr, cases, scases, ths, *count, *minTime)
	}
	rep := benchReport{CPU: cpuid.CPU.BrandName, Arch: runtime.GOARCH, Impl: kernels.Impl(), Go: runtime.Version()}
	bar := newProgress(stderr, len(ths)*(len(cases)+len(scases)+1))
	for _, th := range ths {
		bar.step(fmt.Sprintf("roofline, %d thread(s)", th))
		roof := bench.MeasureRoofline(th, *minTime)
		rep.Roofline = append(rep.Roofline, roof)
		ref := map[string]float64{}
		for _, c := range cases {
			bar.step(fmt.Sprintf("%s/%s", c.Kernel.Name, c.Name()))
			res := bench.Measure(c, th, *minTime)
			key := fmt.Sprintf("%s/%s/%d", c.Kernel.Name, c.DType, c.N)
			if res.Impl == "ref" {
				ref[key] = res.ElemsSec
			}
			row := newBenchRow(res, c.Access(), roof)
			if r := ref[key]; r > 0 {
				row.Speedup = res.ElemsSec / r
			}
			rep.Results = append(rep.Results, row)
		}
		bench.Release()
		f32 := map[string]float64{}
		for _, c := range scases {
			bar.step(fmt.Sprintf("%s/%s", c.Kernel, c.Name()))
			res := bench.MeasureStorage(c, th, *minTime)
			row := storageRow{benchRow: newBenchRow(res, bench.AccessRMW, roof), StateBytes: c.StateBytesPerParam()}
			key := fmt.Sprintf("%s/%d", c.Kernel, c.N)
			if c.Storage.Name == "f32" {
				f32[key] = res.ElemsSec
			} else if r := f32[key]; r > 0 {
				row.VsF32 = res.ElemsSec / r
			}
			rep.Storage = append(rep.Storage, row)
		}
	}
	bar.done()

	if *svg != "" {
		if err := plotBench(*svg, *plotKernel, rep); err != nil {
			return err
		}
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printBench(stdout, rep)
	return nil
}

// benchGoTest measures every case count times and prints each result as a
// Go benchmark line, as go test -bench prints the bench package's
// benchmarks (the same names, with the thread count added), headed by the
// lines benchstat reads the configuration from: compare two runs with
// benchstat old.txt new.txt. The iteration count is the one the
// measurement's minimum time implies.
func benchGoTest(stdout, stderr io.Writer, cases []bench.Case, scases []bench.StorageCase, ths []int, count int, minTime time.Duration) error {
	fmt.Fprintf(stdout, "goos: %s\ngoarch: %s\npkg: github.com/descent-go/descent/bench\ncpu: %s\n", runtime.GOOS, runtime.GOARCH, cpuid.CPU.BrandName)
	bar := newProgress(stderr, count*len(ths)*(len(cases)+len(scases)))
	for range count {
		for _, th := range ths {
			for _, c := range cases {
				name := fmt.Sprintf("Benchmark%s/%s/threads=%d", c.Kernel.Name, c.Name(), th)
				bar.step(name)
				r := bench.Measure(c, th, minTime)
				goTestLine(stdout, name, r, minTime)
			}
			bench.Release()
			for _, c := range scases {
				name := fmt.Sprintf("BenchmarkStorage/%s/%s/threads=%d", c.Kernel, c.Name(), th)
				bar.step(name)
				goTestLine(stdout, name, bench.MeasureStorage(c, th, minTime), minTime)
			}
		}
	}
	bar.done()
	return nil
}

// goTestLine prints r as a Go benchmark line named name, with the
// iteration count the measurement's minimum time implies.
func goTestLine(w io.Writer, name string, r bench.Result, minTime time.Duration) {
	iters := max(1, int(float64(minTime)/r.NsPerOp))
	fmt.Fprintf(w, "%s-%d\t%8d\t%12.1f ns/op\t%10.2f MB/s\t%14.0f elem/s\n", name, runtime.GOMAXPROCS(0), iters, r.NsPerOp, r.BytesSec/1e6, r.ElemsSec)
}

// kernelNames lists the kernels of the catalog, which bench measures.
func kernelNames() []string {
	var names []string
	for _, k := range bench.Kernels {
		names = append(names, k.Name)
	}
	return names
}

func printBench(w io.Writer, rep benchReport) {
	fmt.Fprintf(w, "cpu: %s (%s), kernels: %s, %s\n", rep.CPU, rep.Arch, rep.Impl, rep.Go)
	for _, r := range rep.Roofline {
		fmt.Fprintf(w, "roofline, %d thread(s): copy %.1f GB/s, rmw %.1f GB/s, read %.1f GB/s\n",
			r.Threads, r.Copy/1e9, r.RMW/1e9, r.Read/1e9)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\tdtype\tn\timpl\tthreads\telements/s\tGB/s\tprobe\t% roofline\t× ref\t")
	for _, r := range rep.Results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%.1f\t%s\t%.0f\t%s\t\n",
			r.Kernel, r.DType, r.N, r.Impl, r.Threads, si(r.ElemsSec), r.BytesSec/1e9, r.Probe, r.PctRoofline, ratio(r.Speedup))
	}
	tw.Flush()
	fmt.Fprintln(w, "GB/s counts the bytes each kernel must read and write; % roofline compares it with the probe of the kernel's")
	fmt.Fprintln(w, "access pattern, same run and threads: read (no slice written), rmw (read-modify-write: every written slice")
	fmt.Fprintln(w, "also read, in place), copy (a slice written without being read).")
	if len(rep.Storage) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "storage: the update over 16-bit parameters (bf16, float32 master weights) and 8-bit state, against float32")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kernel\tstorage\tn\timpl\tthreads\telements/s\tbytes/elem\tGB/s\t% roofline\tstate B/param\t× f32\t")
	for _, r := range rep.Storage {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%.2f\t%.1f\t%.0f\t%.3g\t%s\t\n",
			r.Kernel, r.DType, r.N, r.Impl, r.Threads, si(r.ElemsSec), r.BytesSec/r.ElemsSec, r.BytesSec/1e9, r.PctRoofline, r.StateBytes, ratio(r.VsF32))
	}
	tw.Flush()
	fmt.Fprintln(w, "bytes/elem: what a step must read and write; state B/param: master weights and state the optimizer keeps")
	fmt.Fprintln(w, "(8-bit: a code per element and a float32 maximum per 256); % roofline: against the rmw probe.")
}

// ratio formats a speed ratio, "-" when there is none (0).
func ratio(x float64) string {
	if x > 0 {
		return fmt.Sprintf("%.2f", x)
	}
	return "-"
}

// si formats a rate with an SI prefix.
func si(x float64) string {
	switch {
	case x >= 1e9:
		return strings.TrimSuffix(fmt.Sprintf("%.2f", x/1e9), ".00") + " G"
	case x >= 1e6:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", x/1e6), ".0") + " M"
	}
	return fmt.Sprintf("%.0f", x)
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive integer", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// flagSet reports whether the flag was given on the command line.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// progress draws a bar on stderr: redrawn in place on a terminal, a line per
// tenth otherwise.
type progress struct {
	w          io.Writer
	tty        bool
	n, total   int
	lastTenths int
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) step(what string) {
	p.n++
	const width = 30
	if p.tty {
		done := width * (p.n - 1) / p.total
		fmt.Fprintf(p.w, "\r[%s%s] %3d/%d %-40.40s", strings.Repeat("#", done), strings.Repeat(" ", width-done), p.n, p.total, what)
		return
	}
	if t := 10 * (p.n - 1) / p.total; t > p.lastTenths || p.n == 1 {
		p.lastTenths = t
		fmt.Fprintf(p.w, "bench: %3d%% %s\n", 10*t, what)
	}
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintf(p.w, "\r%-80s\r", "")
	}
}
