package kernels

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/cpu"

	"github.com/descent-go/descent/kernels/asm"
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

type implID uint8

const (
	implGeneric implID = iota
	implAVX2
	implNEON
	implAVX512
)

var implNames = [...]string{implGeneric: Generic, implAVX2: AVX2, implNEON: NEON, implAVX512: AVX512}

// impl is read by every kernel call. It is written only at start-up and by
// SetImpl, which is documented as not safe to call concurrently with kernels.
var impl = detect()

// best is the implementation chosen at start-up: the fastest this CPU and
// build can run.
var best = detect()

// available lists what this CPU and build can run, the reference first.
var available = func() []implID {
	ids := []implID{implGeneric}
	if asm.HaveAVX2 && runtime.GOARCH == "amd64" && cpu.X86.HasAVX2 {
		ids = append(ids, implAVX2)
	}
	if asm.HaveAVX512 && runtime.GOARCH == "amd64" && cpu.X86.HasAVX2 && cpu.X86.HasAVX512F {
		ids = append(ids, implAVX512)
	}
	if asm.HaveNEON && runtime.GOARCH == "arm64" {
		// Advanced SIMD is part of the arm64 baseline.
		ids = append(ids, implNEON)
	}
	return ids
}()

func detect() implID {
	switch {
	case asm.HaveAVX2 && runtime.GOARCH == "amd64" && cpu.X86.HasAVX2:
		return implAVX2
	case asm.HaveNEON && runtime.GOARCH == "arm64":
		return implNEON
	}
	return implGeneric
}

func init() {
	if name := os.Getenv(EnvImpl); name != "" {
		_ = SetImpl(name)
	}
}

// Impl returns the name of the implementation in use: "avx2", "neon" or
// "generic" as chosen at start-up, or "avx512" when forced.
func Impl() string { return implNames[impl] }

// Available lists the implementations this CPU and build can run, the
// reference first.
func Available() []string {
	names := make([]string, len(available))
	for i, id := range available {
		names[i] = implNames[id]
	}
	return names
}

// SetImpl forces an implementation, for tests and benchmarks. It returns an
// error, and changes nothing, if name is not one of Available(). It must not
// be called while kernels run in other goroutines.
func SetImpl(name string) error {
	for _, id := range available {
		if implNames[id] == name {
			impl = id
			return nil
		}
	}
	return fmt.Errorf("kernels: implementation %q is not available here (have %v)", name, Available())
}
