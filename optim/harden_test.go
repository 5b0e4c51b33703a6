package optim

import (
	"strings"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// TestParamMixedDtypeError: float64 data with a float32 gradient (or the
// reverse) is refused with an error that says what is supported, not that
// both pairs are set (issue 17, item 5).
func TestParamMixedDtypeError(t *testing.T) {
	f32, f64 := []float32{1, 2}, []float64{1, 2}
	for _, c := range []struct {
		p    Param
		want []string
	}{
		{Param{Name: "w", Data64: f64, Grad32: f32}, []string{`parameter "w"`, "float64 data with a float32 gradient", "not supported", "Data32 and Grad32", "Data64 and Grad64"}},
		{Param{Name: "w", Data32: f32, Grad64: f64}, []string{`parameter "w"`, "float32 data with a float64 gradient", "not supported"}},
		{Param{Name: "w", Data32: f32, Grad32: f32, Data64: f64, Grad64: f64}, []string{`parameter "w"`, "both", "one pair"}},
		{Param{Name: "w", Data32: f32, Grad32: f32, Grad64: f64}, []string{`parameter "w"`, "one pair"}},
	} {
		_, err := NewSGD([]SGDGroup{{Params: []Param{c.p}, Hyper: kernels.SGD{LR: 0.1}}})
		if err == nil {
			t.Fatalf("%+v accepted", c.p)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	}
}
