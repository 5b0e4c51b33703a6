package fuzz

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/descent-go/descent/kernels"
)

// Catalog targets: one per elementwise kernel of the catalog
// (kernels.Catalog) and element type, FuzzKernel<Kernel>F32/F64, generated
// into kernels_gen_test.go by internal/fuzzgen (go generate ./fuzz). They
// call each implementation's kernel through kernels.Bind, with raw
// coefficients and flags: what no public API can give (coefficients that no
// hyper-parameters produce, any combination of variant flags). Arguments:
//
//	data   a byte whose bit j makes stream j's values non-negative (the
//	       specials keep their signs), then one coefficient per slot (see
//	       coefficient), then the values of every stream the flags use, in
//	       the catalog's order (see value)
//	n      slice length, mod maxLen+1
//	offs   element offset of each stream within its guarded buffer, 4 bits each
//	flags  variant flags, masked to the kernel's Variants; an optional
//	       stream whose flag is not set is passed as nil. With UnitScale the
//	       GradScale slot is 1, as the flag promises.

// coefficient decodes one raw coefficient. A selector byte s picks (s mod 4):
//
//	0  the catalog's typical value (also once the input has run out)
//	1  a value of any class (see value): moderate, near the largest finite,
//	   ±0, ±Inf, NaN with any payload, subnormal, any bits
//	2  any bits of T, read from the next 8 bytes
//	3  the typical value with the low 8 bits of its encoding replaced by the
//	   next byte (β one ulp from 1 and the like)
func coefficient[T float](d *decoder, typical float64) T {
	s := d.byte()
	switch s % 4 {
	case 1:
		return value[T](d, false)
	case 2:
		return fromBits[T](d.uint64())
	case 3:
		return fromBits[T](bitsOf(T(typical))&^0xff | uint64(d.byte()))
	}
	return T(typical)
}

// catalogKernel returns the catalog's entry for name.
func catalogKernel(name string) (kernels.Info, bool) {
	for _, k := range kernels.Catalog() {
		if k.Name == name {
			return k, true
		}
	}
	return kernels.Info{}, false
}

// unitScale returns k's UnitScale flag (0 if it has none) and the slot it
// sets to 1.
func unitScale(k kernels.Info) (bit uint64, slot int) {
	for _, v := range k.Variants {
		if v.Name == "UnitScale" {
			bit = v.Bit
		}
	}
	for i, s := range k.Slots {
		if s == "GradScale" {
			slot = i
		}
	}
	return bit, slot
}

// variantMask is the union of k's variant flags.
func variantMask(k kernels.Info) uint64 {
	var m uint64
	for _, v := range k.Variants {
		m |= v.Bit
	}
	return m
}

// fuzzKernel is the body of every catalog target: catalog kernel name on T,
// every implementation against the reference.
func fuzzKernel[T float](f *testing.F, name string) {
	k, ok := catalogKernel(name)
	if !ok || k.Reduce {
		f.Fatalf("%s is not an elementwise kernel of the catalog", name)
	}
	bound := map[string]kernels.Kernel[T]{}
	for _, impl := range kernels.Available() {
		fn, err := kernels.Bind[T](impl, name)
		if err != nil {
			f.Fatal(err)
		}
		bound[impl] = fn
	}
	mask := variantMask(k)
	unit, unitSlot := unitScale(k)
	for _, s := range kernelSeeds(k) {
		f.Add(s.data, s.n, s.offs, s.flags)
	}
	f.Fuzz(func(t *testing.T, data []byte, n uint16, offs uint32, flags uint64) {
		flags &= mask
		size := length(n)
		d := newDecoder(data, size)
		nonneg := d.byte()
		c := make([]T, len(k.Slots))
		for i := range c {
			c[i] = coefficient[T](d, k.Typical[i])
		}
		if flags&unit != 0 {
			c[unitSlot] = 1
		}
		in := make([][]T, len(k.Streams))
		for j, st := range k.Streams {
			if st.Used(flags) {
				in[j] = values[T](d, size, nonneg>>j&1 != 0)
			}
		}
		runEach(t, fmt.Sprintf("%s flags=%#x c=%v", name, flags, c), in, offs, func(impl string, a [][]T) []float64 {
			for j, st := range k.Streams {
				if !st.Used(flags) {
					a[j] = nil
				}
			}
			bound[impl](a, c, flags)
			return nil
		})
	})
}

// kernelSeed is one f.Add of a catalog target.
type kernelSeed struct {
	data  []byte
	n     uint16
	offs  uint32
	flags uint64
}

// kernelSeeds are a catalog target's seeds: the typical coefficients on
// moderate values in every combination of the kernel's flags (state
// streams non-negative) at lengths around the vector and unroll widths;
// then, with the typical flags and with all of them, values of every class
// (±0, subnormals, near-overflow, ±Inf, NaNs), coefficients of every class
// and coefficients of any bits.
func kernelSeeds(k kernels.Info) []kernelSeed {
	lengths := []uint16{1, 7, 31, 33, 67, 131}
	var out []kernelSeed
	combos := 1 << len(k.Variants)
	for v := range combos {
		var flags uint64
		for j, x := range k.Variants {
			if v&(1<<j) != 0 {
				flags |= x.Bit
			}
		}
		out = append(out, kernelSeed{[]byte{0xfc}, lengths[v%len(lengths)], uint32(v) * 0x13579, flags})
	}
	r := rand.New(rand.NewPCG(uint64(len(k.Name)), uint64(len(k.Slots))))
	noise := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for i, flags := range []uint64{k.TypicalFlags, variantMask(k)} {
		// Special values in the streams, typical coefficients.
		special := append([]byte{0xfc}, make([]byte, len(k.Slots))...)
		out = append(out, kernelSeed{append(special, noise(4096)...), 100 + uint16(i), 0x9abcdef, flags})
		// Coefficients of every class, then any bits; moderate values.
		var cls, raw []byte
		cls, raw = []byte{0xfc}, []byte{0xfc}
		for range k.Slots {
			cls = append(cls, 1, byte(r.Uint32()))
			cls = append(cls, noise(8)...)
			raw = append(raw, 2)
			raw = append(raw, noise(8)...)
		}
		out = append(out, kernelSeed{cls, 37, 0x2468ace, flags}, kernelSeed{raw, 64, 0x1111111 * uint32(i+1), flags})
	}
	return out
}

// TestCatalogTargets checks that every kernel of the catalog is fuzzed:
// each elementwise kernel by the generated catalog targets
// FuzzKernel<Kernel>F32 and F64 (each calling fuzzKernel on its kernel and
// element type), each reduction by its hand-written FuzzSumSquaresF32 …;
// and that every FuzzKernel target's kernel is in the catalog.
func TestCatalogTargets(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	catalog := map[string]string{} // FuzzKernel target → "kernel/type" it fuzzes
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || !strings.HasPrefix(fd.Name.Name, "Fuzz") {
				continue
			}
			targets[fd.Name.Name] = true
			if strings.HasPrefix(fd.Name.Name, "FuzzKernel") {
				catalog[fd.Name.Name] = fuzzedKernel(fd)
			}
		}
	}
	for _, k := range kernels.Catalog() {
		for _, dt := range []string{"F32", "F64"} {
			if k.Reduce {
				if !targets["Fuzz"+k.Name+dt] {
					t.Errorf("catalog reduction %s has no fuzz target Fuzz%[1]s%s", k.Name, dt)
				}
				continue
			}
			name := "FuzzKernel" + k.Name + dt
			want := k.Name + "/float" + dt[1:]
			switch got, ok := catalog[name]; {
			case !ok:
				t.Errorf("catalog kernel %s has no fuzz target %s (run go generate ./fuzz)", k.Name, name)
			case got != want:
				t.Errorf("%s fuzzes %q, want %q", name, got, want)
			}
			delete(catalog, name)
		}
	}
	for name, got := range catalog {
		t.Errorf("%s (fuzzing %q) has no elementwise kernel in the catalog", name, got)
	}
}

// fuzzedKernel returns "kernel/type" for a target whose body is
// fuzzKernel[type](f, "kernel"), "" otherwise.
func fuzzedKernel(fd *ast.FuncDecl) string {
	if fd.Body == nil || len(fd.Body.List) != 1 {
		return ""
	}
	es, ok := fd.Body.List[0].(*ast.ExprStmt)
	if !ok {
		return ""
	}
	call, ok := es.X.(*ast.CallExpr)
	if !ok || len(call.Args) != 2 {
		return ""
	}
	ix, ok := call.Fun.(*ast.IndexExpr)
	if !ok {
		return ""
	}
	fn, ok1 := ix.X.(*ast.Ident)
	typ, ok2 := ix.Index.(*ast.Ident)
	lit, ok3 := call.Args[1].(*ast.BasicLit)
	if !ok1 || !ok2 || !ok3 || fn.Name != "fuzzKernel" || lit.Kind != token.STRING {
		return ""
	}
	name, err := strconv.Unquote(lit.Value)
	if err != nil {
		return ""
	}
	return name + "/" + typ.Name
}

// TestCoefficientClasses checks that the coefficient decoder reaches every
// selector: the typical value, the classes of value, raw bits and the
// near-typical values.
func TestCoefficientClasses(t *testing.T) {
	typical := 0.9
	d := newDecoder([]byte{0, 1, 12, 2, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0x7f}, 0)
	got := []float32{coefficient[float32](d, typical), coefficient[float32](d, typical),
		coefficient[float32](d, typical), coefficient[float32](d, typical), coefficient[float32](d, typical)}
	want := []float32{0.9, float32(math.Inf(1)), math.Float32frombits(1), math.Float32frombits(math.Float32bits(0.9)&^0xff | 0x7f), 0.9}
	for i := range want {
		if !same(got[i], want[i]) {
			t.Errorf("coefficient %d = %v (%#x), want %v (%#x)", i, got[i], bitsOf(got[i]), want[i], bitsOf(want[i]))
		}
	}
}
