package lean

import (
	"os"
	"testing"
)

// TestQuality trains both models with every storage and fails if 8-bit
// state or bfloat16 parameters move the mean final validation accuracy by
// more than half a point from float32's (the bar), or if a run does
// not learn. Under qemu-user (QEMU_CPU set) a shorter training, within a
// point: the emulated run is there for the arm64 paths, not the statistics.
func TestQuality(t *testing.T) {
	cfg, tol, floor := DefaultConfig(), 0.5, map[string]float64{"softmax": 0.93, "mlp": 0.96}
	if os.Getenv("QEMU_CPU") != "" {
		cfg.Epochs, cfg.Seeds, tol, floor = 8, 2, 1, map[string]float64{"softmax": 0.9, "mlp": 0.94}
	}
	runs, err := Compare(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		t.Logf("%s %s: accuracy %.2f%%, loss %.4f, %d bytes of optimizer state", r.Model, r.Storage, 100*r.Final(), r.Loss[len(r.Loss)-1], r.StateBytes)
		if r.Final() < floor[r.Model] {
			t.Errorf("%s %s: accuracy %.2f%%, below %.0f%%", r.Model, r.Storage, 100*r.Final(), 100*floor[r.Model])
		}
	}
	for m, gap := range MaxGap(runs) {
		if gap > tol {
			t.Errorf("%s: accuracy %.2f points from float32's (tolerance %v)", m, gap, tol)
		}
	}
}
