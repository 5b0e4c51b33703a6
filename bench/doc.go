// Package bench holds descent's kernel benchmarks: one table of cases, built
// from the kernel catalog (kernels.Catalog), that both the Go benchmarks
// (go test -bench . ./bench) and the descent bench command run, so the two
// report the same measurements.
//
// Every kernel of the catalog is benchmarked with its typical coefficients
// and flags (Info.Typical, Info.TypicalFlags), through kernels.Bind, which
// selects the implementation without changing the one in use. The
// Benchmark<Kernel> functions are generated from the catalog
// (kernels_gen_test.go, by internal/benchgen); a test fails if a catalog
// kernel has none.
//
// Case names follow Benchmark<Kernel>/<dtype>/n=<N>/impl=<impl>, where impl is
// "ref" (the pure-Go reference), "avx2", "avx512" or "neon"; b.SetBytes is the
// number of bytes the kernel must move (Info.Moves times the element size:
// Adam float32, 28 per element — p, g, m, v read; p, m, v written), so the
// MB/s column is the memory traffic the kernel needs, not counting the
// read-for-ownership of written lines. Stream measures the machine's copy
// bandwidth in the same run (the roofline). descent bench measures three
// probes (MeasureRoofline: copy, read-modify-write, read) and compares each
// kernel with the probe of its access pattern (AccessOf, Roofline.Probe).
package bench

//go:generate go run ./internal/benchgen -out kernels_gen_test.go
