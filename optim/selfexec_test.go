package optim

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
)

var (
	selfOnce   sync.Once
	selfNative bool
)

// selfCommand returns a command that runs this test binary with args.
// Under qemu-user (make test's arm64 suite) the kernel cannot execute the
// binary itself (exec format error), so the command runs it through
// qemu-<arch>, as go test -exec does.
func selfCommand(args ...string) *exec.Cmd {
	selfOnce.Do(func() {
		err := exec.Command(os.Args[0], "-test.run=^$").Run()
		selfNative = !errors.Is(err, syscall.ENOEXEC)
	})
	if selfNative {
		return exec.Command(os.Args[0], args...)
	}
	arch := map[string]string{"arm64": "aarch64", "amd64": "x86_64", "386": "i386"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	return exec.Command("qemu-"+arch, append([]string{os.Args[0]}, args...)...)
}
