//go:build !linux

package optim

// adviseHuge does nothing here; see huge_linux.go.
func adviseHuge[T float32 | float64](x []T) {}
