package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// The comparison runs end to end on two epochs: every optimizer learns
// (validation accuracy well above chance), and the table and SVG are
// written.
func TestCompare(t *testing.T) {
	rs, err := Compare(2, map[string][]float64{"AdamW": {1e-3}, "Muon+AdamW": {1e-2}, "Schedule-Free AdamW": {2.5e-3}, "LAMB": {1e-2}})
	if err != nil {
		t.Fatal(err)
	}
	best := Best(rs)
	if len(best) != 4 {
		t.Fatalf("%d results", len(best))
	}
	for _, r := range best {
		if !(r.ValAccuracy > 0.5) {
			t.Errorf("%s: validation accuracy %v after 2 epochs", r.Label, r.ValAccuracy)
		}
	}
	if tab := Table(best); !strings.Contains(tab, "| Muon+AdamW | 0.01 |") {
		t.Errorf("table:\n%s", tab)
	}
	if err := Plot(filepath.Join(t.TempDir(), "x.svg"), best, 2); err != nil {
		t.Fatal(err)
	}
}
