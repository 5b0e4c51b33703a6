// Command neon writes the NEON (arm64) kernels of package asm: every kernel
// of package spec lowered to NEON, the reductions, their Go declarations and
// the tables that list them (nil in builds without them).
//
// Run it through go generate in package asm (see ../../asm.go):
//
//	go run -C _gen ./neon -out ../neon_arm64.s -stubs ../neon_arm64.go -tables ../tables_arm64.go -fallback ../tables_noneon.go
//
// It reads the same descriptions as the amd64 generator, never that
// generator's output.
//
// Every kernel follows the reference loop in package kernels operation for
// operation, with no fused multiply-add, so its results are bit-identical to
// it. Go 1.26's assembler has no vector floating-point arithmetic other than
// FMLA/FMLS, so those instructions are emitted as WORD with the instruction,
// in GNU syntax, in a comment; a test in package asm decodes every such word
// and compares it with its comment.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/descent-go/descent/kernels/internal/asm/_gen/spec"
)

var (
	out         = flag.String("out", "", "write the assembly to this file")
	stubsOut    = flag.String("stubs", "", "write the Go declarations to this file")
	tablesOut   = flag.String("tables", "", "write the NEON tables (Go) to this file")
	fallbackOut = flag.String("fallback", "", "write the nil tables of builds without NEON assembly to this file")
	convOut     = flag.String("conv", "", "write the conversions' wrappers and table (Go) to this file")
	verbose     = flag.Bool("v", false, "report the instructions emitted as WORD")
)

func main() {
	flag.Parse()
	g := &gen{}
	for _, e := range []elem{f32, f64} {
		for _, k := range spec.Kernels {
			lower(g, k, e)
		}
		sumSquares(g, e)
		dot(g, e)
	}
	convs(g)
	if *out != "" {
		src := spec.Header + "//go:build !purego\n\n#include \"textflag.h\"\n" + g.a.b.String()
		must(os.WriteFile(*out, []byte(src), 0o644))
	}
	if *stubsOut != "" {
		must(spec.WriteGo(*stubsOut, g.stubsFile()))
	}
	if *tablesOut != "" {
		must(spec.WriteGo(*tablesOut, spec.TablesFile("!purego", []string{"NEON"}, map[string]string{"NEON": "NEON"}, sumSquaresAdapters)))
	}
	if *convOut != "" {
		must(spec.WriteGo(*convOut, convFile()))
	}
	if *fallbackOut != "" {
		must(spec.WriteGo(*fallbackOut, spec.FallbackFile("purego || !arm64", []string{"NEON"})))
	}
	if *verbose {
		var ms []string
		for m, n := range g.a.words {
			ms = append(ms, fmt.Sprintf("%s×%d", m, n))
		}
		sort.Strings(ms)
		fmt.Fprintln(os.Stderr, "WORD-encoded:", strings.Join(ms, " "))
	}
}

// sumSquaresAdapters give the reductions the table's signature: the float32
// sum is finite exactly when every element is (no float32 square overflows
// a float64).
const sumSquaresAdapters = `func sumSquaresNEONF32(x []float32) (float64, bool) {
	s := SumSquaresNEONF32(x)
	return s, s-s == 0
}

func sumSquaresNEONF64(x []float64) (float64, bool) { return SumSquaresNEONF64(x) }
`

func (g *gen) stubsFile() string {
	var b strings.Builder
	b.WriteString(spec.Header)
	b.WriteString("//go:build !purego\n\npackage asm\n\n")
	for _, f := range g.fns {
		fmt.Fprintf(&b, "\n// %s\n//\n//go:noescape\nfunc %s%s\n", strings.Join(f.doc, "\n// "), f.name, f.sig())
	}
	return b.String()
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "neon:", err)
		os.Exit(1)
	}
}
