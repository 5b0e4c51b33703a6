package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"

	"github.com/descent-go/descent/kernels"
)

func init() {
	register(command{"info", "describe the CPU, its caches and the implementations chosen", runInfo})
}

func runInfo(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("info", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	c := cpuid.CPU
	kib := func(b int) string {
		if b <= 0 {
			return "unknown"
		}
		return fmt.Sprintf("%d KiB", b>>10)
	}
	fmt.Fprintf(stdout, "cpu:        %s (%s, %d logical cores)\n", c.BrandName, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(stdout, "features:   %s\n", strings.Join(interesting(c.FeatureSet()), " "))
	fmt.Fprintf(stdout, "caches:     L1d %s, L2 %s, L3 %s, line %d B\n", kib(c.Cache.L1D), kib(c.Cache.L2), kib(c.Cache.L3), c.CacheLine)
	fmt.Fprintf(stdout, "kernels:    %s (available: %s)\n", kernels.Impl(), strings.Join(kernels.Available(), ", "))
	for _, l := range blasInfo() {
		fmt.Fprintln(stdout, l)
	}
	fmt.Fprintf(stdout, "go:         %s, GOMAXPROCS %d\n", runtime.Version(), runtime.GOMAXPROCS(0))
	return nil
}

// interesting keeps the features that matter to the kernels and BLAS.
func interesting(all []string) []string {
	keep := map[string]bool{"SSE2": true, "SSE4": true, "SSE42": true, "AVX": true, "AVX2": true, "FMA3": true,
		"AVX512F": true, "AVX512DQ": true, "AVX512BW": true, "AVX512VL": true, "AVX512FP16": true,
		"AVX512BF16": true, "AMXBF16": true, "ASIMD": true, "FP": true, "SVE": true, "SVE2": true,
		"ASIMDDP": true, "ASIMDHP": true, "FPHP": true, "BF16": true}
	var out []string
	for _, f := range all {
		if keep[f] {
			out = append(out, f)
		}
	}
	return out
}
