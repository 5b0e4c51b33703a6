package bench

import (
	"testing"

	"github.com/klauspost/cpuid/v2"
)

// StreamBytes is the size of each buffer of the bandwidth probes: twice the
// last-level cache, at least 256 MiB and at most 1 GiB, so that the probes
// measure memory, not cache.
var StreamBytes = func() int {
	n := 2 * cpuid.CPU.Cache.L3
	return min(max(n, 256<<20), 1<<30) &^ 4095
}()

// Stream measures the machine's streaming bandwidth with copy (the runtime's
// memmove: wide loads and stores, non-temporal for large copies), counting
// the bytes read and written. MeasureRoofline adds the read-modify-write and
// read probes the kernels are compared with.
func Stream(b *testing.B) {
	src, dst := make([]byte, StreamBytes), make([]byte, StreamBytes)
	for i := range src {
		src[i] = byte(i)
	}
	copy(dst, src) // fault the pages in
	b.SetBytes(2 * int64(StreamBytes))
	b.ResetTimer()
	for b.Loop() {
		copy(dst, src)
	}
}
