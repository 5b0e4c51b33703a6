package optim

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Param is one named tensor the optimizer updates: its data and its
// gradient, both float32 or both float64. Set exactly one of the pairs
// (Data32, Grad32) or (Data64, Grad64), with slices of equal length; Float32
// and Float64 build a Param that way. Data and gradient of different types
// (float64 data with a float32 gradient) are not supported and refused by
// the constructors.
//
// The optimizer keeps the slices it is given: the training loop writes each
// step's gradient into Grad32 (or Grad64) in place, never into a new slice,
// and reads the updated parameters from Data32 (or Data64). No two slices
// of one optimizer may overlap.
type Param struct {
	Name string // unique within the optimizer; see ValidName

	Data32, Grad32 []float32
	Data64, Grad64 []float64

	// Shape is the tensor's shape in checkpoints. nil means one dimension of
	// the slices' length; otherwise the product of its entries must be the
	// length.
	Shape []int
}

// Float32 returns a float32 Param named name over data and its gradient.
func Float32(name string, data, grad []float32) Param {
	return Param{Name: name, Data32: data, Grad32: grad}
}

// Float64 returns a float64 Param named name over data and its gradient.
func Float64(name string, data, grad []float64) Param {
	return Param{Name: name, Data64: data, Grad64: grad}
}

// Len returns the number of elements of p.
func (p *Param) Len() int {
	if p.Data32 != nil {
		return len(p.Data32)
	}
	return len(p.Data64)
}

// Dtype is the element type of a parameter.
type Dtype uint8

// Element types, named as in safetensors.
const (
	F32 Dtype = iota + 1
	F64
)

func (d Dtype) String() string {
	switch d {
	case F32:
		return "F32"
	case F64:
		return "F64"
	}
	return fmt.Sprintf("Dtype(%d)", uint8(d))
}

// Dtype returns F32 or F64 (0 when neither pair is set).
func (p *Param) Dtype() Dtype {
	switch {
	case p.Data32 != nil || p.Grad32 != nil:
		return F32
	case p.Data64 != nil || p.Grad64 != nil:
		return F64
	}
	return 0
}

// Some state-tensor suffixes, as in PyTorch's state_dict. A parameter's
// state tensor is stored in a checkpoint under "<name>.<StateTensor.Name>";
// StateSuffixes lists them all.
const (
	SuffixExpAvg         = ".exp_avg"
	SuffixExpAvgSq       = ".exp_avg_sq"
	SuffixMaxExpAvgSq    = ".max_exp_avg_sq"
	SuffixMomentumBuffer = ".momentum_buffer"
)

// ValidName reports why name cannot name a parameter, or nil. A name is
// non-empty valid UTF-8, is not "__metadata__", and does not end in the
// suffix of any rule's state tensor (StateSuffixes: ".exp_avg", ".sum",
// ".square_avg" …), so that a parameter's name never collides with
// another's state tensor in a checkpoint, whatever the optimizer.
func ValidName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("optim: empty parameter name")
	case name == "__metadata__":
		return fmt.Errorf("optim: parameter name %q is reserved", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("optim: parameter name %q is not valid UTF-8", name)
	}
	for _, s := range suffixes {
		if strings.HasSuffix(name, s) {
			return fmt.Errorf("optim: parameter name %q ends in the state suffix %q", name, s)
		}
	}
	return nil
}

// check validates one parameter on its own.
func (p *Param) check() error {
	if err := ValidName(p.Name); err != nil {
		return err
	}
	has32 := p.Data32 != nil || p.Grad32 != nil
	has64 := p.Data64 != nil || p.Grad64 != nil
	const supported = "a parameter is float32 (set Data32 and Grad32) or float64 (set Data64 and Grad64)"
	switch {
	case p.Data64 != nil && p.Grad32 != nil && p.Data32 == nil && p.Grad64 == nil:
		return fmt.Errorf("optim: parameter %q: float64 data with a float32 gradient is not supported: %s", p.Name, supported)
	case p.Data32 != nil && p.Grad64 != nil && p.Data64 == nil && p.Grad32 == nil:
		return fmt.Errorf("optim: parameter %q: float32 data with a float64 gradient is not supported: %s", p.Name, supported)
	case has32 && has64:
		return fmt.Errorf("optim: parameter %q sets both float32 and float64 slices: set one pair, %s", p.Name, supported)
	case !has32 && !has64:
		return fmt.Errorf("optim: parameter %q has no data", p.Name)
	case has32 && (p.Data32 == nil || p.Grad32 == nil):
		return fmt.Errorf("optim: parameter %q: nil float32 data or gradient", p.Name)
	case has64 && (p.Data64 == nil || p.Grad64 == nil):
		return fmt.Errorf("optim: parameter %q: nil float64 data or gradient", p.Name)
	case has32 && len(p.Data32) != len(p.Grad32):
		return fmt.Errorf("optim: parameter %q: len(data)=%d len(grad)=%d", p.Name, len(p.Data32), len(p.Grad32))
	case has64 && len(p.Data64) != len(p.Grad64):
		return fmt.Errorf("optim: parameter %q: len(data)=%d len(grad)=%d", p.Name, len(p.Data64), len(p.Grad64))
	}
	return p.checkShape()
}

// checkShape checks that Shape, when set, has non-negative dimensions
// whose product (without overflow) is the data's length.
func (p *Param) checkShape() error {
	if p.Shape == nil {
		return nil
	}
	n := 1
	for _, d := range p.Shape {
		if d < 0 || (d > 0 && n > int(^uint(0)>>1)/d) {
			return fmt.Errorf("optim: parameter %q: bad shape %v", p.Name, p.Shape)
		}
		n *= d
	}
	if n != p.Len() {
		return fmt.Errorf("optim: parameter %q: shape %v has %d elements, the data %d", p.Name, p.Shape, n, p.Len())
	}
	return nil
}

func (p *Param) shape() []int {
	if p.Shape != nil {
		return append([]int(nil), p.Shape...)
	}
	return []int{p.Len()}
}

// span is the address range of one slice, for the overlap check.
type span struct {
	lo, hi uintptr
	name   string
}

func spanOf[T float32 | float64](name string, s []T) span {
	if len(s) == 0 {
		return span{name: name}
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
	return span{lo, lo + uintptr(len(s))*unsafe.Sizeof(s[0]), name}
}

// checkParams validates every parameter, the uniqueness of names and that
// no two slices overlap (a shared slice would be updated twice, and raced
// on by the workers).
func checkParams(ps []*Param) error {
	seen := make(map[string]bool, len(ps))
	spans := make([]span, 0, 2*len(ps))
	for _, p := range ps {
		if err := p.check(); err != nil {
			return err
		}
		if seen[p.Name] {
			return fmt.Errorf("optim: duplicate parameter name %q", p.Name)
		}
		seen[p.Name] = true
		if p.Dtype() == F32 {
			spans = append(spans, spanOf(p.Name+" data", p.Data32), spanOf(p.Name+" grad", p.Grad32))
		} else {
			spans = append(spans, spanOf(p.Name+" data", p.Data64), spanOf(p.Name+" grad", p.Grad64))
		}
	}
	return checkOverlap(spans)
}

// checkOverlap returns an error naming two of the spans that overlap, if
// any do (empty spans overlap nothing). It reorders spans.
func checkOverlap(spans []span) error {
	nz := spans[:0]
	for _, s := range spans {
		if s.hi > s.lo {
			nz = append(nz, s)
		}
	}
	sort.Slice(nz, func(i, j int) bool { return nz[i].lo < nz[j].lo })
	for i := 1; i < len(nz); i++ {
		if nz[i].lo < nz[i-1].hi {
			return fmt.Errorf("optim: slices overlap: %s and %s", nz[i-1].name, nz[i].name)
		}
	}
	return nil
}
