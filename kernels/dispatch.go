package kernels

import (
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/cpu"

	"github.com/descent-go/descent/kernels/internal/asm"
)

// Names of the implementations.
const (
	Generic = "generic" // the pure-Go reference loops
	AVX2    = "avx2"    // amd64 AVX2 assembly
	AVX512  = "avx512"  // amd64 AVX-512F assembly for the updates (AVX2 reductions)
	NEON    = "neon"    // arm64 NEON assembly
)

// EnvImpl is the environment variable that forces an implementation at
// start-up, e.g. DESCENT_IMPL=generic. A name that is unknown or that this
// CPU or build cannot run is ignored (Impl tells what is in use).
const EnvImpl = "DESCENT_IMPL"

// impl is one implementation: a table of kernels per element type.
type impl struct {
	t32  *asm.Table[float32]
	t64  *asm.Table[float64]
	conv *asm.Conv // storage conversions (see format.go)
}

// convOr returns c, or the reference conversions when c is nil.
func convOr(c *asm.Conv) *asm.Conv {
	if c == nil {
		return convRef
	}
	return c
}

// The reference implementation. Each kernel's file puts its reference
// loops in these tables.
var (
	ref32 = &asm.Table[float32]{Name: Generic}
	ref64 = &asm.Table[float64]{Name: Generic}
)

// available lists what this CPU and build can run, the reference first; a
// nil table is an implementation this build does not contain.
var available = func() []impl {
	ids := []impl{{ref32, ref64, convRef}}
	if runtime.GOARCH == "amd64" && asm.AVX2F32 != nil && cpu.X86.HasAVX2 {
		ids = append(ids, impl{asm.AVX2F32, asm.AVX2F64, convOr(asm.ConvAVX2)})
		if asm.AVX512F32 != nil && cpu.X86.HasAVX512F {
			ids = append(ids, impl{asm.AVX512F32, asm.AVX512F64, convOr(asm.ConvAVX512)})
		}
	}
	if runtime.GOARCH == "arm64" && asm.NEONF32 != nil {
		// Advanced SIMD is part of the arm64 baseline.
		ids = append(ids, impl{asm.NEONF32, asm.NEONF64, convOr(asm.ConvNEON)})
	}
	return ids
}()

// cur is the implementation every kernel call uses. It is written only at
// start-up and by SetImpl, which is documented as not safe to call
// concurrently with kernels.
var cur = detect()

// detect returns the fastest implementation this CPU and build can run:
// AVX2 on amd64, NEON on arm64 (AVX-512 is opt-in: older Xeons lower the
// whole core's clock while running 512-bit code).
func detect() impl {
	for _, im := range available {
		if n := im.t32.Name; n == AVX2 || n == NEON {
			return im
		}
	}
	return available[0]
}

// table returns the current implementation's kernels for T.
func table[T Float]() *asm.Table[T] { return tableOf[T](cur) }

// tableOf returns im's kernels for T.
func tableOf[T Float](im impl) *asm.Table[T] {
	if is32[T]() {
		return (*asm.Table[T])(unsafe.Pointer(im.t32))
	}
	return (*asm.Table[T])(unsafe.Pointer(im.t64))
}

func init() {
	if name := os.Getenv(EnvImpl); name != "" {
		_ = SetImpl(name)
	}
}

// Impl returns the name of the implementation in use: "avx2", "neon" or
// "generic" as chosen at start-up, or "avx512" when forced.
func Impl() string { return cur.t32.Name }

// Available lists the implementations this CPU and build can run, the
// reference first.
func Available() []string {
	names := make([]string, len(available))
	for i, im := range available {
		names[i] = im.t32.Name
	}
	return names
}

// SetImpl forces an implementation, for tests and benchmarks. It returns an
// error, and changes nothing, if name is not one of Available(). It must not
// be called while kernels run in other goroutines.
func SetImpl(name string) error {
	for _, im := range available {
		if im.t32.Name == name {
			cur = im
			return nil
		}
	}
	return fmt.Errorf("kernels: implementation %q is not available here (have %v)", name, Available())
}
