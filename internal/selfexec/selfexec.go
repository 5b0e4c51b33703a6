// Package selfexec runs the current test binary again as a subprocess, for
// tests that need a process of their own (killed at random, or gone),
// also under qemu-user, where the kernel cannot execute the binary itself.
package selfexec

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

var (
	once   sync.Once
	native bool
)

// Command returns a command that runs this binary (os.Args[0]) with args.
// Under qemu-user (make test's arm64 suite) starting the binary directly
// fails with "exec format error"; the command then runs it through
// qemu-<arch>, as go test -exec does. The first call finds out which by
// running the binary once with -test.run=^$ (a test binary: it runs no
// test).
func Command(args ...string) *exec.Cmd {
	once.Do(func() {
		err := exec.Command(os.Args[0], "-test.run=^$").Run()
		native = !errors.Is(err, syscall.ENOEXEC)
	})
	if native {
		return exec.Command(os.Args[0], args...)
	}
	arch := map[string]string{"arm64": "aarch64", "amd64": "x86_64", "386": "i386"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	return exec.Command("qemu-"+arch, append([]string{os.Args[0]}, args...)...)
}
