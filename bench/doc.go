// Package bench holds descent's kernel benchmarks: one table of cases that
// both the Go benchmarks (go test -bench . ./bench) and the descent bench
// command run, so the two report the same measurements.
//
// Case names follow Benchmark<Kernel>/<dtype>/n=<N>/impl=<impl>, where impl is
// "ref" (the pure-Go reference), "avx2" or "neon"; b.SetBytes is the number of
// bytes the kernel must move (Adam float32: 28 per element — p, g, m, v read;
// p, m, v written), so the MB/s column is the memory traffic the kernel needs,
// not counting the read-for-ownership of written lines. Stream measures the
// machine's copy bandwidth in the same run (the roofline).
package bench
