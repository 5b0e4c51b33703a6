package bench

import "testing"

// StreamBytes is the size of each buffer of the bandwidth probe: far larger
// than any last-level cache.
const StreamBytes = 256 << 20

// Stream measures the machine's streaming bandwidth with copy (the runtime's
// memmove: wide loads and stores, non-temporal for large copies), counting
// the bytes read and written. It is the roofline the memory-bound kernels are
// compared with once their data leaves the caches.
func Stream(b *testing.B) {
	src, dst := make([]byte, StreamBytes), make([]byte, StreamBytes)
	for i := range src {
		src[i] = byte(i)
	}
	copy(dst, src) // fault the pages in
	b.SetBytes(2 * StreamBytes)
	b.ResetTimer()
	for b.Loop() {
		copy(dst, src)
	}
}
