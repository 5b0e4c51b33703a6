package kernels

import (
	"fmt"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// Info describes one kernel of the catalog: what benchmarks, fuzz targets
// and documentation iterate. The catalog is generated from the kernels'
// descriptions (kernels/internal/asm/_gen/spec), the same descriptions every
// assembly implementation is generated from.
type Info struct {
	Name     string
	Summary  string
	Ref      string    // the reference loop in this package that is its specification
	Streams  []Stream  // the slice arguments, in order
	Slots    []string  // the coefficient slots, in order (elementwise kernels)
	Variants []Variant // the flags that select a loop of their own
	Reduce   bool      // a reduction: SumSquares or Dot
	Pseudo   []string  // the loop, as generated from the description

	Typical      []float64 // a typical coefficient vector (what benchmarks run)
	TypicalFlags uint64    // and its flags
}

// Stream is one slice argument of a kernel.
type Stream struct {
	Name  string
	Doc   string
	Read  bool   // read (by some variant)
	Write bool   // written (by some variant)
	Flag  uint64 // 0: always used; otherwise only in variants with this flag
}

// Variant is a flag that selects a loop of its own.
type Variant struct {
	Name string
	Bit  uint64
	Doc  string
}

// Catalog returns every kernel: the elementwise ones, then the reductions.
func Catalog() []Info {
	out := make([]Info, len(asm.Catalog))
	for i, k := range asm.Catalog {
		in := Info{Name: k.Name, Summary: k.Summary, Ref: k.Ref, Slots: clone(k.Slots), Reduce: k.Reduce,
			Pseudo: clone(k.Pseudo), Typical: clone(k.Typical), TypicalFlags: k.TypicalFlags}
		for _, s := range k.Streams {
			in.Streams = append(in.Streams, Stream{s.Name, s.Doc, s.Read, s.Write, s.When})
		}
		for _, f := range asm.Flags {
			if k.Variant&f.Bit != 0 {
				in.Variants = append(in.Variants, Variant{f.Name, f.Bit, f.Doc})
			}
		}
		out[i] = in
	}
	return out
}

// Used reports whether stream s is read or written under flags.
func (s Stream) Used(flags uint64) bool { return s.Flag == 0 || flags&s.Flag != 0 }

// Moves returns the number of element reads and writes per element that
// the kernel must do under flags: a benchmark's bytes per element are
// Moves times the element size.
func (k Info) Moves(flags uint64) int {
	n := 0
	for _, s := range k.Streams {
		if !s.Used(flags) {
			continue
		}
		if s.Read && !(k.Name == "Momentum" && s.Name == "buf" && flags&asm.FlagFirst != 0) {
			n++
		}
		if s.Write {
			n++
		}
	}
	return n
}

// Kernel is a catalog kernel bound to one implementation and element type,
// called with raw coefficients: what tests, fuzz targets and benchmarks
// run. Its streams are in the catalog's order (an unused optional stream
// may be nil); c holds one value per slot, already in T.
type Kernel[T Float] func(s [][]T, c []T, flags uint64)

// Bind returns the catalog kernel name of implementation impl ("" for the
// one in use) for T. The returned function checks that every stream in use
// has the first one's length and that c has a value per slot; a reduction
// ignores c and flags and discards its result. The flag UnitScale promises
// that the gradient scale (slot 0) is exactly 1: with another value the
// implementations may differ.
func Bind[T Float](impl, name string) (Kernel[T], error) {
	t := table[T]()
	if impl != "" {
		var ok bool
		if t, ok = implTable[T](impl); !ok {
			return nil, fmt.Errorf("kernels: implementation %q is not available here (have %v)", impl, Available())
		}
	}
	for i, k := range asm.Catalog {
		if k.Name != name {
			continue
		}
		check := func(s [][]T, c []T, flags uint64) {
			if len(s) != len(k.Streams) || len(c) < len(k.Slots) {
				panic(fmt.Sprintf("kernels: %s: %d streams and %d coefficients, want %d and %d", name, len(s), len(c), len(k.Streams), len(k.Slots)))
			}
			for j, st := range k.Streams {
				if (st.When == 0 || flags&st.When != 0) && len(s[j]) != len(s[0]) {
					panic(fmt.Sprintf("kernels: %s: len(%s)=%d, len(%s)=%d", name, st.Name, len(s[j]), k.Streams[0].Name, len(s[0])))
				}
			}
		}
		switch name {
		case "SumSquares":
			return func(s [][]T, c []T, flags uint64) { check(s, c, flags); t.SumSquares(s[0]) }, nil
		case "Dot":
			return func(s [][]T, c []T, flags uint64) { check(s, c, flags); t.Dot(s[0], s[1]) }, nil
		}
		return func(s [][]T, c []T, flags uint64) { check(s, c, flags); t.Call(i, s, c, flags) }, nil
	}
	return nil, fmt.Errorf("kernels: no kernel %q in the catalog", name)
}

// implTable returns implementation name's table for T.
func implTable[T Float](name string) (*asm.Table[T], bool) {
	for _, im := range available {
		if im.t32.Name == name {
			return tableOf[T](im), true
		}
	}
	return nil, false
}

func clone[S ~[]E, E any](s S) S { return append(S(nil), s...) }
