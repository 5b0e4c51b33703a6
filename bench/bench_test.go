package bench

import (
	"strings"
	"testing"
)

// benchKernel runs every case of one kernel as a sub-benchmark named
// <dtype>/n=<N>/impl=<impl>. Under -short the DRAM size is left out.
func benchKernel(b *testing.B, name string) {
	for _, c := range Cases(Sizes) {
		if c.Kernel.Name != name || (testing.Short() && c.N > 1<<20) {
			continue
		}
		b.Run(c.Name(), c.Run)
	}
}

func BenchmarkAdam(b *testing.B)       { benchKernel(b, "Adam") }
func BenchmarkAdamW(b *testing.B)      { benchKernel(b, "AdamW") }
func BenchmarkAMSGrad(b *testing.B)    { benchKernel(b, "AMSGrad") }
func BenchmarkSGD(b *testing.B)        { benchKernel(b, "SGD") }
func BenchmarkMomentum(b *testing.B)   { benchKernel(b, "Momentum") }
func BenchmarkNesterov(b *testing.B)   { benchKernel(b, "Nesterov") }
func BenchmarkSumSquares(b *testing.B) { benchKernel(b, "SumSquares") }
func BenchmarkDot(b *testing.B)        { benchKernel(b, "Dot") }
func BenchmarkAxpy(b *testing.B)       { benchKernel(b, "Axpy") }
func BenchmarkScale(b *testing.B)      { benchKernel(b, "Scale") }

// BenchmarkStream is the roofline: the machine's copy bandwidth.
func BenchmarkStream(b *testing.B) { Stream(b) }

// TestEveryKernelBenchmarked keeps the Benchmark functions and the Kernels
// table in step, and checks the names the issue tracker relies on.
func TestEveryKernelBenchmarked(t *testing.T) {
	have := map[string]bool{"Adam": true, "AdamW": true, "AMSGrad": true, "SGD": true, "Momentum": true,
		"Nesterov": true, "SumSquares": true, "Dot": true, "Axpy": true, "Scale": true}
	for _, k := range Kernels {
		if !have[k.Name] {
			t.Errorf("kernel %s has no Benchmark function", k.Name)
		}
		delete(have, k.Name)
	}
	for k := range have {
		t.Errorf("Benchmark%s has no kernel", k)
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
