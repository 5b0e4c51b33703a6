package bench

import (
	"math"
	"sync"
	"time"

	"github.com/descent-go/descent/kernels"
)

// Result is one measured case.
type Result struct {
	Kernel   string  `json:"kernel"`
	DType    string  `json:"dtype"`
	N        int     `json:"n"`
	Impl     string  `json:"impl"`
	Threads  int     `json:"threads"`
	NsPerOp  float64 `json:"ns_per_op"`
	ElemsSec float64 `json:"elements_per_s"`
	BytesSec float64 `json:"bytes_per_s"`
}

// Measure times the case on threads goroutines, each running the case's
// implementation of the kernel (kernels.Bind) on its contiguous share of the
// n elements, for at least minTime, and returns the best of three rounds. It
// resets the case's data first and must not run concurrently with other
// cases (they share the data).
func Measure(c Case, threads int, minTime time.Duration) Result {
	calls := c.call(c.N, threads)
	ns := timeParallel(calls, minTime)
	return Result{
		Kernel: c.Kernel.Name, DType: c.DType, N: c.N, Impl: ImplName(c.Impl), Threads: threads,
		NsPerOp:  ns,
		ElemsSec: float64(c.N) / ns * 1e9,
		BytesSec: float64(c.Bytes()) / ns * 1e9,
	}
}

// timeParallel returns the nanoseconds per round of running every call once,
// concurrently: the best of three timed rounds of calibrated iteration counts.
func timeParallel(calls []func(), minTime time.Duration) float64 {
	run := func(iters int) time.Duration {
		var wg sync.WaitGroup
		start := make(chan struct{})
		for _, f := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for range iters {
					f()
				}
			}()
		}
		t0 := time.Now()
		close(start)
		wg.Wait()
		return time.Since(t0)
	}
	run(1) // warm up: fault pages in, bring code and data into cache
	iters := 1
	for {
		d := run(iters)
		if d >= minTime/3 || iters >= 1<<30 {
			break
		}
		if d <= 0 {
			iters *= 100
			continue
		}
		iters = int(math.Min(float64(iters)*100, float64(iters)*1.2*float64(minTime/3)/float64(d))) + 1
	}
	best := math.Inf(1)
	for range 3 {
		best = math.Min(best, float64(run(iters))/float64(iters))
	}
	return best
}

// Roofline is the machine's streaming bandwidth, measured by three probes on
// buffers of StreamBytes, twice the last-level cache, one per access pattern
// (Access): copy (the runtime's memmove: a read and a write stream),
// read-modify-write (Scale[float32] by 1 in place with the fastest
// implementation: what an update kernel's written slices do) and read
// (SumSquares[float32]: what a reduction does). Bytes count reads plus
// writes, as the kernels' do. A kernel is compared with the probe of its own
// access pattern (Probe, AccessOf): the probes can differ by 2× on one core,
// so the best of the three is no bound for a kernel of another pattern.
type Roofline struct {
	Threads  int     `json:"threads"`
	Copy     float64 `json:"copy_bytes_per_s"`
	RMW      float64 `json:"rmw_bytes_per_s"`
	Read     float64 `json:"read_bytes_per_s"`
	BytesSec float64 `json:"bytes_per_s"` // the best of the three
}

// MeasureRoofline runs the probes on threads goroutines.
func MeasureRoofline(threads int, minTime time.Duration) Roofline {
	n := StreamBytes / 4
	bytes := float64(StreamBytes)
	buf, dst := make([]float32, n), make([]float32, n)
	for i := range buf {
		buf[i] = float32(i%1000) + 1
	}
	parts := func(f func(lo, hi int)) []func() {
		fs := make([]func(), threads)
		for j := range fs {
			lo, hi := j*n/threads, (j+1)*n/threads
			fs[j] = func() { f(lo, hi) }
		}
		return fs
	}
	r := Roofline{Threads: threads}
	r.Copy = 2 * bytes / timeParallel(parts(func(lo, hi int) { copy(dst[lo:hi], buf[lo:hi]) }), minTime) * 1e9
	r.RMW = 2 * bytes / timeParallel(parts(func(lo, hi int) { kernels.Scale[float32](1, buf[lo:hi]) }), minTime) * 1e9
	r.Read = bytes / timeParallel(parts(func(lo, hi int) { kernels.SumSquares[float32](buf[lo:hi]) }), minTime) * 1e9
	r.BytesSec = max(r.Copy, r.RMW, r.Read)
	return r
}
