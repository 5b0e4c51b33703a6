package bench

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/descent-go/descent/kernels"
)

// benchKernel runs every case of one kernel as a sub-benchmark named
// <dtype>/n=<N>/impl=<impl>. Under -short the DRAM size is left out. The
// Benchmark<Kernel> functions that call it are generated from the catalog
// (kernels_gen_test.go).
func benchKernel(b *testing.B, name string) {
	for _, c := range Cases(Sizes) {
		if c.Kernel.Name != name || (testing.Short() && c.N > 1<<20) {
			continue
		}
		b.Run(c.Name(), c.Run)
	}
}

// BenchmarkStream is the roofline: the machine's copy bandwidth.
func BenchmarkStream(b *testing.B) { Stream(b) }

// TestEveryKernelBenchmarked checks that every kernel of the catalog has a
// Benchmark function in this package's tests and every Benchmark function
// but Stream a kernel (go generate ./bench rewrites them), and the names the
// peers script relies on.
func TestEveryKernelBenchmarked(t *testing.T) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && strings.HasPrefix(fd.Name.Name, "Benchmark") {
				have[strings.TrimPrefix(fd.Name.Name, "Benchmark")] = true
			}
		}
	}
	delete(have, "Stream")
	delete(have, "Storage") // storage_test.go: the kernels over mixed storage
	for _, k := range kernels.Catalog() {
		if !have[k.Name] {
			t.Errorf("catalog kernel %s has no Benchmark%[1]s function (run go generate ./bench)", k.Name)
		}
		delete(have, k.Name)
	}
	for k := range have {
		t.Errorf("Benchmark%s has no kernel in the catalog", k)
	}
	found := false
	for _, c := range Cases(Sizes) {
		if c.Kernel.Name == "Adam" && c.Name() == "f32/n=65536/impl=ref" {
			found = true
		}
		if strings.Contains(c.Name(), "generic") {
			t.Errorf("case %s: the reference is named ref", c.Name())
		}
	}
	if !found {
		t.Error("no case BenchmarkAdam/f32/n=65536/impl=ref")
	}
}

// TestBytes checks the bytes per element of the kernels the README quotes
// (the catalog's Moves under the typical flags).
func TestBytes(t *testing.T) {
	want := map[string]int64{"SGD": 12, "Momentum": 20, "Adam": 28, "AMSGrad": 36, "SumSquares": 4, "Dot": 8, "Axpy": 12, "Scale": 8}
	for _, c := range Cases([]int{1}) {
		if w, ok := want[c.Kernel.Name]; ok && c.DType == "f32" && c.Bytes() != w {
			t.Errorf("%s f32: %d bytes per element, want %d", c.Kernel.Name, c.Bytes(), w)
		}
	}
}

// TestCasesRun runs every case once on a short length, every implementation,
// and checks that the state streams start from zero and the results stay
// finite: the typical coefficients make ordinary training steps.
func TestCasesRun(t *testing.T) {
	for _, c := range Cases([]int{100}) {
		fs := c.call(c.N, 3)
		for range 10 {
			for _, f := range fs {
				f()
			}
		}
		if c.DType == "f32" {
			checkFinite[float32](t, c)
		} else {
			checkFinite[float64](t, c)
		}
	}
}

func checkFinite[T kernels.Float](t *testing.T, c Case) {
	t.Helper()
	d := cache[[2]int{int(unsafe.Sizeof(T(0))), c.N}].(*dataSet[T])
	for j, w := range d.work {
		for i, x := range w {
			if x != x || x-x != 0 {
				t.Fatalf("%s/%s: stream %d element %d = %v after 10 calls", c.Kernel.Name, c.Name(), j, i, x)
			}
		}
	}
}
