package kernels

import (
	"fmt"
	"unsafe"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// Mixed-storage steps. A storage format is a load and a store lowering of a
// stream, not a new kernel: a step over narrow or quantized operands runs
// the unchanged float32 (or float64) kernel block by block, Q8Block
// elements at a time, converting each operand's block into a Scratch buffer
// on the way in (widening 16-bit floats, dequantizing 8-bit codes) and back
// on the way out (requantizing with the block's new maximum, rounding the
// master weights to their 16-bit copy). Every block is converted, updated
// and written back while it is in the L1 cache, so the step is one pass
// over memory. The conversions are exact integer arithmetic (see ToBF16,
// ToF16, Q8Map), and the kernel is bit-identical on every implementation,
// so mixed steps are too.

// Q8 is a tensor stored as blockwise 8-bit codes (see Q8Map): Codes has
// one code per element, Absmax one float32 per block of Q8Block elements.
type Q8 struct {
	Codes  []uint8
	Absmax []float32
	Map    Q8Map
}

// NewQ8 returns an all-zero quantized tensor of n elements.
func NewQ8(m Q8Map, n int) Q8 {
	return Q8{Codes: make([]uint8, n), Absmax: make([]float32, Q8Blocks(n)), Map: m}
}

// Decode writes the tensor's values to x (len(x) = len(q.Codes)).
func (q *Q8) Decode(x []float32) {
	for b := 0; b < len(x); b += Q8Block {
		e := min(b+Q8Block, len(x))
		Q8Dequantize(q.Map, x[b:e], q.Codes[b:e], q.Absmax[b/Q8Block])
	}
}

// Encode sets the tensor to x quantized (len(x) = len(q.Codes)).
func (q *Q8) Encode(x []float32) {
	for b := 0; b < len(x); b += Q8Block {
		e := min(b+Q8Block, len(x))
		q.Absmax[b/Q8Block] = Q8Quantize(q.Map, q.Codes[b:e], x[b:e])
	}
}

// State is one state stream of a mixed step: stored in T (Native, nil for
// a stream the variant does not use) or quantized (Q, float32 kernels
// only).
type State[T Float] struct {
	Native []T
	Q      *Q8
}

// Mixed holds the operands of mixed-storage steps over one tensor of a
// kernel whose streams are (p, g, state…), as every update kernel's are.
//
//   - P are the parameters the kernel updates in T (the float32 master
//     weights of 16-bit parameters); after each block, when Copy is set, P
//     is rounded to Copy in CopyFormat (the parameters the model reads).
//   - The gradient is G (in T), or G32 (float32, for float64 kernels), or
//     G16 in GFormat (float32 kernels).
//   - State holds the kernel's state streams, in its order.
//
// Quantized state and 16-bit operands need T = float32.
type Mixed[T Float] struct {
	P          []T
	Copy       []uint16
	CopyFormat Half
	G          []T
	G32        []float32
	G16        []uint16
	GFormat    Half
	State      []State[T]
}

// Scratch is the working memory of mixed steps: the blocks operands are
// converted into. A goroutine needs its own; the zero value is ready.
type Scratch struct {
	f32 [5][Q8Block]float32
	f64 [Q8Block]float64
	s32 [6][]float32
	s64 [6][]float64
}

// Block returns a buffer of Q8Block elements of s, for a caller's own
// conversions (it is one of the buffers the mixed steps use).
func (s *Scratch) Block() []float32 { return s.f32[4][:] }

// Check reports whether x is a valid operand set for kernel (a catalog name)
// over n elements.
func (x *Mixed[T]) Check(kernel string) error {
	k := catalogIndex(kernel)
	if k < 0 || asm.Catalog[k].Reduce || len(asm.Catalog[k].Streams) < 2 {
		return fmt.Errorf("kernels: %s is not an update kernel", kernel)
	}
	n := len(x.P)
	grads := 0
	for _, l := range []int{len(x.G), len(x.G32), len(x.G16)} {
		if l > 0 {
			grads++
			if l != n {
				return fmt.Errorf("kernels: %s: gradient of %d elements for %d parameters", kernel, l, n)
			}
		}
	}
	if grads > 1 || (grads == 0 && n > 0) {
		return fmt.Errorf("kernels: %s: set one of G, G32 and G16", kernel)
	}
	f32 := is32[T]()
	if (x.G32 != nil && f32) || (x.G16 != nil && !f32) || (x.Copy != nil && !f32) {
		return fmt.Errorf("kernels: %s: G32 is for float64 kernels, G16 and Copy for float32 ones", kernel)
	}
	if x.G16 != nil && x.GFormat != BF16 && x.GFormat != F16 || x.Copy != nil && x.CopyFormat != BF16 && x.CopyFormat != F16 {
		return fmt.Errorf("kernels: %s: 16-bit operand without a format", kernel)
	}
	if x.Copy != nil && len(x.Copy) != n {
		return fmt.Errorf("kernels: %s: copy of %d elements for %d parameters", kernel, len(x.Copy), n)
	}
	if len(x.State) != len(asm.Catalog[k].Streams)-2 {
		return fmt.Errorf("kernels: %s: %d state streams, want %d", kernel, len(x.State), len(asm.Catalog[k].Streams)-2)
	}
	for i, s := range x.State {
		name := asm.Catalog[k].Streams[2+i].Name
		switch {
		case s.Q != nil && s.Native != nil:
			return fmt.Errorf("kernels: %s: state %s both native and quantized", kernel, name)
		case s.Q != nil && !f32:
			return fmt.Errorf("kernels: %s: quantized state %s needs a float32 kernel", kernel, name)
		case s.Q != nil && (len(s.Q.Codes) != n || len(s.Q.Absmax) != Q8Blocks(n)):
			return fmt.Errorf("kernels: %s: quantized state %s: %d codes and %d scales for %d elements", kernel, name, len(s.Q.Codes), len(s.Q.Absmax), n)
		case s.Native != nil && len(s.Native) != n:
			return fmt.Errorf("kernels: %s: state %s of %d elements for %d parameters", kernel, name, len(s.Native), n)
		}
	}
	return nil
}

// catalogIndex returns the index of the named kernel in asm.Catalog, or −1.
func catalogIndex(name string) int {
	for i, k := range asm.Catalog {
		if k.Name == name {
			return i
		}
	}
	return -1
}

// Catalog indices of the update kernels, for mixed steps.
var (
	kSGD      = catalogIndex("SGD")
	kMomentum = catalogIndex("Momentum")
	kAdam     = catalogIndex("Adam")
	kAMSGrad  = catalogIndex("AMSGrad")
	kLion     = catalogIndex("Lion")
	kAdagrad  = catalogIndex("Adagrad")
	kRMSprop  = catalogIndex("RMSprop")
)

// run runs kernel k over elements [lo, hi) of x, block by block. lo must be
// a multiple of Q8Block when a state is quantized (blocks are the
// tensor's). It does not check x (see Check).
func (x *Mixed[T]) run(sc *Scratch, lo, hi, k int, c []T, flags uint64) {
	if hi <= lo {
		return
	}
	if lo%Q8Block != 0 {
		for _, s := range x.State {
			if s.Q != nil {
				panic(fmt.Sprintf("kernels: mixed step from element %d, not at a quantization block", lo))
			}
		}
	}
	// Mixed[float32] and Mixed[float64] have the same layout (slices).
	if is32[T]() {
		run32((*Mixed[float32])(unsafe.Pointer(x)), sc, lo, hi, k, *(*[]float32)(unsafe.Pointer(&c)), flags)
	} else {
		run64((*Mixed[float64])(unsafe.Pointer(x)), sc, lo, hi, k, *(*[]float64)(unsafe.Pointer(&c)), flags)
	}
}

// blockEnd returns the end of the block that starts at b: the next multiple
// of Q8Block, or hi.
func blockEnd(b, hi int) int { return min(b+Q8Block-b%Q8Block, hi) }

// run32 converts each block of x's float32 operands in sc, runs kernel k
// of the implementation in use on it, and converts back.
func run32(x32 *Mixed[float32], sc *Scratch, lo, hi, k int, c []float32, flags uint64) {
	t := cur.t32
	s := sc.s32[:2+len(x32.State)]
	for b := lo; b < hi; {
		e := blockEnd(b, hi)
		n := e - b
		s[0] = x32.P[b:e]
		if x32.G16 != nil {
			s[1] = sc.f32[0][:n]
			Widen(x32.GFormat, s[1], x32.G16[b:e])
		} else {
			s[1] = x32.G[b:e]
		}
		for i, st := range x32.State {
			switch {
			case st.Q != nil:
				s[2+i] = sc.f32[1+i][:n]
				Q8Dequantize(st.Q.Map, s[2+i], st.Q.Codes[b:e], st.Q.Absmax[b/Q8Block])
			case st.Native != nil:
				s[2+i] = st.Native[b:e]
			default:
				s[2+i] = nil
			}
		}
		t.Call(k, s, c, flags)
		for i, st := range x32.State {
			if st.Q != nil {
				st.Q.Absmax[b/Q8Block] = Q8Quantize(st.Q.Map, st.Q.Codes[b:e], s[2+i])
			}
		}
		if x32.Copy != nil {
			Narrow(x32.CopyFormat, x32.Copy[b:e], s[0])
		}
		b = e
	}
}

// run64 is run32 for float64 kernels: only the gradient is converted.
func run64(x64 *Mixed[float64], sc *Scratch, lo, hi, k int, c []float64, flags uint64) {
	t := cur.t64
	s := sc.s64[:2+len(x64.State)]
	for b := lo; b < hi; {
		e := blockEnd(b, hi)
		s[0] = x64.P[b:e]
		if x64.G32 != nil {
			s[1] = sc.f64[:e-b]
			for i, v := range x64.G32[b:e] {
				s[1][i] = float64(v)
			}
		} else {
			s[1] = x64.G[b:e]
		}
		for i, st := range x64.State {
			s[2+i] = nil
			if st.Native != nil {
				s[2+i] = st.Native[b:e]
			}
		}
		t.Call(k, s, c, flags)
		b = e
	}
}

// Widen sets dst[i] to the float32 value of src[i] in format f.
func Widen(f Half, dst []float32, src []uint16) {
	if f == BF16 {
		cur.conv.WidenBF16(dst[:len(src)], src)
	} else {
		cur.conv.WidenF16(dst[:len(src)], src)
	}
}

// Narrow sets dst[i] to src[i] rounded to format f (see ToBF16, ToF16).
func Narrow(f Half, dst []uint16, src []float32) {
	if f == BF16 {
		cur.conv.NarrowBF16(dst[:len(src)], src)
	} else {
		cur.conv.NarrowF16(dst[:len(src)], src)
	}
}

// The update kernels over mixed storage: each runs the kernel of the step
// of the same name (SGDStep, MomentumStep, AdamStep …) with the same
// scalars over elements [lo, hi) of x (see Mixed), converting its operands
// block by block in sc. They panic if lo is not a multiple of Q8Block while
// a state is quantized; call x.Check once before stepping.

func SGDStepMixed[T Float](x *Mixed[T], lo, hi int, sc *Scratch, s *SGDScalars) {
	c, f := sgdCoeffs[T](s)
	x.run(sc, lo, hi, kSGD, c[:], f)
}

func MomentumStepMixed[T Float](x *Mixed[T], lo, hi int, sc *Scratch, s *SGDScalars, first bool) {
	c, f := momentumCoeffs[T](s, first)
	x.run(sc, lo, hi, kMomentum, c[:], f)
}

func AdamStepMixed[T Float](x *Mixed[T], lo, hi int, sc *Scratch, s *AdamScalars) {
	c := adamCoeffs[T](s)
	k := kAdam
	if len(x.State) == 3 { // m, v, vmax
		k = kAMSGrad
	}
	x.run(sc, lo, hi, k, c[:], l2Flag(c[asm.AdamL2]))
}

func LionStepMixed[T Float](x *Mixed[T], lo, hi int, sc *Scratch, s *LionScalars) {
	c, f := lionCoeffs[T](s)
	x.run(sc, lo, hi, kLion, c[:], f)
}

func AdagradStepMixed[T Float](x *Mixed[T], lo, hi int, sc *Scratch, s *AdagradScalars) {
	c, f := adagradCoeffs[T](s)
	x.run(sc, lo, hi, kAdagrad, c[:], f)
}

func RMSpropStepMixed[T Float](x *Mixed[T], lo, hi int, sc *Scratch, s *RMSpropScalars) {
	c, f := rmspropCoeffs[T](s)
	x.run(sc, lo, hi, kRMSprop, c[:], f)
}
