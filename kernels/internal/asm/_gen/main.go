// Command _gen writes descent's amd64 kernels with avo: every kernel of
// package spec lowered to AVX2 (YMM) and to AVX-512 (ZMM), the reductions
// (AVX2), their Go declarations, the tables that list them, and, from the
// same descriptions, the portable files: the slot layout, the table type
// and the catalog.
//
// Run it through go generate in the parent directory (see ../asm.go):
//
//	go run -C _gen . -out ../avx_amd64.s -stubs ../avx_amd64.go -pkg asm \
//		-layout ../layout.go -table ../table.go -catalog ../catalog.go \
//		-tables ../tables_amd64.go -fallback ../tables_noavx.go
//
// Every kernel follows its description operation for operation, with no
// FMA, so its results are bit-identical to the reference in package kernels.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	. "github.com/mmcloughlin/avo/build"

	"github.com/descent-go/descent/kernels/internal/asm/_gen/spec"
)

var (
	layoutOut   = flag.String("layout", "", "write the coefficient layout (Go) to this file")
	tableOut    = flag.String("table", "", "write the table type (Go) to this file")
	catalogOut  = flag.String("catalog", "", "write the catalog (Go) to this file")
	tablesOut   = flag.String("tables", "", "write the AVX2 and AVX-512 tables (Go) to this file")
	fallbackOut = flag.String("fallback", "", "write the nil tables of builds without x86 assembly to this file")
	docsOut     = flag.String("docs", "", "write the kernel documentation (Markdown) to this file")
	convOut     = flag.String("conv", "", "write the conversions' wrappers and tables (Go) to this file")
)

// text starts a hand-lowered function (the reductions).
func text(name, sig string, doc ...string) {
	TEXT(name, NOSPLIT, "func"+sig)
	Pragma("noescape")
	Doc(doc...)
}

func main() {
	ConstraintExpr("!purego")
	for _, x := range []isaT{avx2, avx512} {
		for _, e := range []elem{f32, f64} {
			for _, k := range spec.Kernels {
				lower(x, k, e)
			}
			if x == avx2 {
				sumSquares(e)
				dot(e)
			}
		}
	}
	for _, x := range []isaT{avx2, avx512} {
		convs(x)
	}
	Generate()
	// avo heads its files with its own command line; every generated file
	// here carries the same line.
	for _, name := range []string{"out", "stubs"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" {
			must(reheader(f.Value.String()))
		}
	}
	for _, f := range []struct {
		path *string
		src  func() string
	}{
		{layoutOut, spec.LayoutFile},
		{tableOut, spec.TableFile},
		{catalogOut, spec.CatalogFile},
		{tablesOut, func() string {
			return spec.TablesFile("!purego", []string{"AVX2", "AVX512"}, map[string]string{"AVX2": "AVX2", "AVX512": "AVX2"}, sumSquaresAdapters)
		}},
		{convOut, func() string { return convFile("!purego", []isaT{avx2, avx512}) }},
		{fallbackOut, func() string { return spec.FallbackFile("purego || !amd64", []string{"AVX2", "AVX512"}) }},
	} {
		if *f.path != "" {
			must(spec.WriteGo(*f.path, f.src()))
		}
	}
	if *docsOut != "" {
		must(os.WriteFile(*docsOut, []byte(spec.DocsFile()), 0o644))
	}
}

// sumSquaresAdapters give the reductions the table's signature: the float32
// sum is finite exactly when every element is (no float32 square overflows
// a float64).
const sumSquaresAdapters = `func sumSquaresAVX2F32(x []float32) (float64, bool) {
	s := SumSquaresAVX2F32(x)
	return s, s-s == 0
}

func sumSquaresAVX2F64(x []float64) (float64, bool) { return SumSquaresAVX2F64(x) }
`

// reheader replaces the "Code generated" line at the top of path with
// spec.Header.
func reheader(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	s := string(b)
	if !strings.HasPrefix(s, "// Code generated") {
		return fmt.Errorf("%s: no generated-code header", path)
	}
	s = s[strings.Index(s, "\n")+1:]
	return os.WriteFile(path, []byte(strings.TrimRight(spec.Header, "\n")+"\n"+s), 0o644)
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
