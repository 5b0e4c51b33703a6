package bench

import (
	"fmt"
	"testing"
)

// BenchmarkStorage runs Adam and Lion over every storage configuration
// (Storages) at 64 Ki and 16 Mi elements on one and two goroutines, named
// <kernel>/<storage>/n=<N>/threads=<T>, with the bytes a step must move
// (StorageCase.BytesPerElem) and elements per second. Under -short the
// DRAM size is left out.
func BenchmarkStorage(b *testing.B) {
	sizes := []int{1 << 16, 1 << 24}
	if testing.Short() {
		sizes = sizes[:1]
	}
	for _, c := range StorageCases(sizes) {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/%s/threads=%d", c.Kernel, c.Name(), th), func(b *testing.B) {
				calls := c.calls(th)
				b.SetBytes(int64(c.BytesPerElem() * float64(c.N)))
				run := func() {
					done := make(chan struct{}, len(calls))
					for _, f := range calls[1:] {
						go func() { f(); done <- struct{}{} }()
					}
					calls[0]()
					for range calls[1:] {
						<-done
					}
				}
				run()
				for b.Loop() {
					run()
				}
				b.ReportMetric(float64(c.N)*float64(b.N)/b.Elapsed().Seconds(), "elem/s")
			})
		}
	}
}

// TestStorageBytes checks the bytes per parameter the README's memory
// table quotes: the state (and master weights) the optimizer keeps.
func TestStorageBytes(t *testing.T) {
	want := map[string]float64{"Adam/f32": 8, "Adam/bf16-master": 12, "Adam/8bit": 2.03125, "Adam/8bit-bf16": 6.03125, "Lion/8bit": 1.015625}
	for _, c := range StorageCases([]int{1}) {
		if w, ok := want[c.Kernel+"/"+c.Storage.Name]; ok && c.StateBytesPerParam() != w {
			t.Errorf("%s/%s: %v bytes of state per parameter, want %v", c.Kernel, c.Storage.Name, c.StateBytesPerParam(), w)
		}
	}
}
