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
)

var implNames = [...]string{implGeneric: Generic, implAVX2: AVX2, implNEON: NEON}

// impl is read by every kernel call. It is written only at start-up and by
// SetImpl, which is documented as not safe to call concurrently with kernels.
var impl = detect()

// best is the fastest implementation this CPU and build can run.
var best = detect()

func detect() implID {
	switch {
	case asm.HaveAVX2 && runtime.GOARCH == "amd64" && cpu.X86.HasAVX2:
		return implAVX2
	case asm.HaveNEON && runtime.GOARCH == "arm64":
		// Advanced SIMD is part of the arm64 baseline.
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
// "generic".
func Impl() string { return implNames[impl] }

// Available lists the implementations this CPU and build can run, the
// reference first.
func Available() []string {
	if best == implGeneric {
		return []string{Generic}
	}
	return []string{Generic, implNames[best]}
}

// SetImpl forces an implementation, for tests and benchmarks. It returns an
// error, and changes nothing, if name is not one of Available(). It must not
// be called while kernels run in other goroutines.
func SetImpl(name string) error {
	for _, a := range Available() {
		if a == name {
			for id, n := range implNames {
				if n == name {
					impl = implID(id)
				}
			}
			return nil
		}
	}
	return fmt.Errorf("kernels: implementation %q is not available here (have %v)", name, Available())
}
