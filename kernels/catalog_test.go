package kernels

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// TestCatalogBitIdentical runs every elementwise kernel of the catalog, in
// every variant (every combination of its flags), with every available
// implementation against the reference, at every length and offset with
// guard bands, on ordinary and special inputs and on typical and random
// coefficients. It is the wall every kernel added to the descriptions must
// pass.
func TestCatalogBitIdentical(t *testing.T) {
	t.Run("f32", func(t *testing.T) { testCatalog[float32](t) })
	t.Run("f64", func(t *testing.T) { testCatalog[float64](t) })
}

func testCatalog[T float](t *testing.T) {
	for _, k := range Catalog() {
		if k.Reduce {
			continue
		}
		for _, flags := range variantSets(k) {
			for _, special := range fills {
				for _, coef := range []string{"typical", "random"} {
					k, flags, special, coef := k, flags, special, coef
					t.Run(fmt.Sprintf("%s/flags=%d/special=%v/coef=%s", k.Name, flags, special, coef), func(t *testing.T) {
						r := rand.New(rand.NewPCG(flags, uint64(len(k.Slots))))
						c := make([]T, len(k.Slots))
						for i := range c {
							if coef == "typical" {
								c[i] = T(k.Typical[i])
							} else {
								c[i] = values[T](r, 1, special)[0]
							}
						}
						if flags&asm.FlagUnitScale != 0 {
							c[0] = 1 // UnitScale promises that the gradient scale (slot 0) is 1
						}
						compareImplsAt(t, lengths(), moments[T](len(k.Streams), special), func(s [][]T) []float64 {
							f, err := Bind[T]("", k.Name)
							if err != nil {
								t.Fatal(err)
							}
							for j, st := range k.Streams {
								if !st.Used(flags) {
									s[j] = nil
								}
							}
							f(s, c, flags)
							return nil
						})
					})
				}
			}
		}
	}
}

// variantSets returns every combination of k's variant flags.
func variantSets(k Info) []uint64 {
	var out []uint64
	for v := 0; v < 1<<len(k.Variants); v++ {
		var f uint64
		for j, x := range k.Variants {
			if v&(1<<j) != 0 {
				f |= x.Bit
			}
		}
		out = append(out, f)
	}
	return out
}

// TestCatalogComplete checks that every implementation's table has every
// kernel of the catalog, and that every catalog entry names a reference
// loop that this package defines.
func TestCatalogComplete(t *testing.T) {
	for _, im := range available {
		for _, tab := range []any{im.t32, im.t64} {
			v := reflect.ValueOf(tab).Elem()
			for i := 0; i < v.NumField(); i++ {
				if f := v.Field(i); f.Kind() == reflect.Func && f.IsNil() {
					t.Errorf("implementation %s (%T): no %s", im.t32.Name, tab, v.Type().Field(i).Name)
				}
			}
		}
	}
	funcs := map[string]bool{}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil {
				funcs[fd.Name.Name] = true
			}
		}
	}
	tableFields := map[string]bool{}
	tt := reflect.TypeOf(asm.Table[float32]{})
	for i := 0; i < tt.NumField(); i++ {
		tableFields[tt.Field(i).Name] = true
	}
	for _, k := range Catalog() {
		if !funcs[k.Ref] {
			t.Errorf("catalog kernel %s: reference %s is not defined in package kernels", k.Name, k.Ref)
		}
		if !tableFields[k.Name] {
			t.Errorf("catalog kernel %s has no field in asm.Table", k.Name)
		}
		if !k.Reduce && len(k.Typical) != len(k.Slots) {
			t.Errorf("catalog kernel %s: %d typical coefficients for %d slots", k.Name, len(k.Typical), len(k.Slots))
		}
		if _, err := Bind[float32]("", k.Name); err != nil {
			t.Error(err)
		}
	}
	if _, err := Bind[float64]("", "NoSuchKernel"); err == nil {
		t.Error("Bind of an unknown kernel succeeded")
	}
	if _, err := Bind[float64]("sse9", "Adam"); err == nil {
		t.Error("Bind of an unknown implementation succeeded")
	}
}
