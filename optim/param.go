package optim

import (
	"fmt"
	"github.com/descent-go/descent/kernels"
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Param is one named tensor the optimizer updates: its data and its
// gradient. Set exactly one of
//
//   - (Data32, Grad32): float32 data and gradient (Float32 builds one);
//   - (Data64, Grad64): float64 data and gradient (Float64);
//   - (Data64, Grad32): float64 data with a float32 gradient: the update is
//     computed in float64, the gradient widened exactly (Float64Grad32);
//   - (Data16, Grad16) with Half: 16-bit parameters and gradient, bfloat16
//     or binary16 (Half16). The optimizer keeps float32 master weights,
//     initialized from Data16 exactly; each step reads the 16-bit gradient,
//     updates the master weights and the state, and writes the master
//     weights rounded to nearest even into Data16, in the same pass.
//     Checkpoints store the master weights.
//
// with slices of equal length. The optimizer keeps the slices it is given:
// the training loop writes each step's gradient into the gradient slice in
// place, never into a new slice, and reads the updated parameters from the
// data slice. No two slices of one optimizer may overlap.
type Param struct {
	Name string // unique within the optimizer; see ValidName

	Data32, Grad32 []float32
	Data64, Grad64 []float64
	Data16, Grad16 []uint16
	Half           kernels.Half // the format of Data16 and Grad16: kernels.BF16 or kernels.F16

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

// Float64Grad32 returns a Param named name over float64 data and a
// float32 gradient.
func Float64Grad32(name string, data []float64, grad []float32) Param {
	return Param{Name: name, Data64: data, Grad32: grad}
}

// Half16 returns a Param named name over 16-bit data and gradient in
// format h (kernels.BF16 or kernels.F16), with float32 master weights.
func Half16(name string, h kernels.Half, data, grad []uint16) Param {
	return Param{Name: name, Data16: data, Grad16: grad, Half: h}
}

// Len returns the number of elements of p.
func (p *Param) Len() int {
	switch {
	case p.Data32 != nil:
		return len(p.Data32)
	case p.Data16 != nil:
		return len(p.Data16)
	}
	return len(p.Data64)
}

// Dtype is the element type of a parameter.
type Dtype uint8

// Element types, named as in safetensors.
const (
	F32 Dtype = iota + 1
	F64
	BF16
	F16
)

func (d Dtype) String() string {
	switch d {
	case F32:
		return "F32"
	case F64:
		return "F64"
	case BF16:
		return "BF16"
	case F16:
		return "F16"
	}
	return fmt.Sprintf("Dtype(%d)", uint8(d))
}

// Dtype returns the type of the data: F32, F64, BF16 or F16 (0 when no
// data is set).
func (p *Param) Dtype() Dtype {
	switch {
	case p.Data32 != nil:
		return F32
	case p.Data64 != nil:
		return F64
	case p.Data16 != nil && p.Half == kernels.BF16:
		return BF16
	case p.Data16 != nil && p.Half == kernels.F16:
		return F16
	}
	return 0
}

// mixed reports whether p is stored in a form the plain kernels cannot
// update in place: 16-bit, or float64 data with a float32 gradient.
func (p *Param) mixed() bool { return p.Data16 != nil || p.Data64 != nil && p.Grad32 != nil }

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
	const supported = "set Data32 and Grad32, Data64 and Grad64, Data64 and Grad32, or Data16 and Grad16 with Half"
	set := 0
	for _, ok := range []bool{p.Data32 != nil, p.Grad32 != nil, p.Data64 != nil, p.Grad64 != nil, p.Data16 != nil, p.Grad16 != nil} {
		if ok {
			set++
		}
	}
	var ld, lg int
	switch {
	case set == 0:
		return fmt.Errorf("optim: parameter %q has no data", p.Name)
	case set == 2 && p.Data32 != nil && p.Grad32 != nil:
		ld, lg = len(p.Data32), len(p.Grad32)
	case set == 2 && p.Data64 != nil && p.Grad64 != nil:
		ld, lg = len(p.Data64), len(p.Grad64)
	case set == 2 && p.Data64 != nil && p.Grad32 != nil:
		ld, lg = len(p.Data64), len(p.Grad32)
	case set == 2 && p.Data16 != nil && p.Grad16 != nil:
		if p.Half != kernels.BF16 && p.Half != kernels.F16 {
			return fmt.Errorf("optim: parameter %q: 16-bit data needs Half = kernels.BF16 or kernels.F16", p.Name)
		}
		ld, lg = len(p.Data16), len(p.Grad16)
	case p.Data32 != nil && p.Grad64 != nil && set == 2:
		return fmt.Errorf("optim: parameter %q: float32 data with a float64 gradient is not supported: %s", p.Name, supported)
	case set == 1:
		kind := "float64"
		switch {
		case p.Data32 != nil || p.Grad32 != nil:
			kind = "float32"
		case p.Data16 != nil || p.Grad16 != nil:
			kind = "16-bit"
		}
		return fmt.Errorf("optim: parameter %q: nil %s data or gradient: %s", p.Name, kind, supported)
	default:
		return fmt.Errorf("optim: parameter %q sets slices of both kinds (or of more than one pair): set one pair: %s", p.Name, supported)
	}
	if p.Data16 == nil && p.Half != 0 {
		return fmt.Errorf("optim: parameter %q: Half is for 16-bit data (Data16, Grad16)", p.Name)
	}
	if ld != lg {
		return fmt.Errorf("optim: parameter %q: len(data)=%d len(grad)=%d", p.Name, ld, lg)
	}
	return p.checkShape()
}

// spans returns the address ranges of p's slices.
func (p *Param) spans() []span {
	return []span{spanOf(p.Name+" data", p.Data32), spanOf(p.Name+" grad", p.Grad32),
		spanOf(p.Name+" data", p.Data64), spanOf(p.Name+" grad", p.Grad64),
		spanOf(p.Name+" data", p.Data16), spanOf(p.Name+" grad", p.Grad16)}
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

func spanOf[T float32 | float64 | uint16](name string, s []T) span {
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
		spans = append(spans, p.spans()...)
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
