package bench

import (
	"testing"

	"github.com/descent-go/descent/kernels"
)

// TestAccess checks the access patterns derived from the catalog: the
// reductions write nothing (read probe), the in-place updates read every
// slice they write (read-modify-write probe), and Momentum's first step,
// which writes its buffer without reading it, streams a write (copy probe).
func TestAccess(t *testing.T) {
	want := map[string]Access{
		"SumSquares": AccessRead, "Dot": AccessRead,
		"SGD": AccessRMW, "Momentum": AccessRMW, "Adam": AccessRMW, "AMSGrad": AccessRMW,
		"Lion": AccessRMW, "Adagrad": AccessRMW, "RMSprop": AccessRMW, "Axpy": AccessRMW, "Scale": AccessRMW,
	}
	for _, k := range kernels.Catalog() {
		got := AccessOf(k, k.TypicalFlags)
		if w, ok := want[k.Name]; ok && got != w {
			t.Errorf("%s: access %q, want %q", k.Name, got, w)
		}
		if k.Reduce && got != AccessRead {
			t.Errorf("%s is a reduction but its access is %q", k.Name, got)
		}
		if !k.Reduce && got == AccessRead {
			t.Errorf("%s writes but its access is %q", k.Name, got)
		}
		for _, c := range Cases([]int{1}) {
			if c.Kernel.Name == k.Name && c.Access() != got {
				t.Errorf("%s: case %s has access %q, want %q", k.Name, c.Name(), c.Access(), got)
			}
		}
		if k.Name == "Momentum" {
			var first uint64
			for _, v := range k.Variants {
				if v.Name == "First" {
					first = v.Bit
				}
			}
			if first == 0 {
				t.Fatal("Momentum has no First variant")
			}
			if a := AccessOf(k, k.TypicalFlags|first); a != AccessCopy {
				t.Errorf("Momentum's first step: access %q, want %q", a, AccessCopy)
			}
		}
	}
}

func TestRooflineProbe(t *testing.T) {
	r := Roofline{Copy: 1, RMW: 2, Read: 3, BytesSec: 3}
	for a, want := range map[Access]float64{AccessCopy: 1, AccessRMW: 2, AccessRead: 3} {
		if got := r.Probe(a); got != want {
			t.Errorf("Probe(%q) = %v, want %v", a, got, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Probe of an unknown access pattern did not panic")
		}
	}()
	r.Probe("write")
}
