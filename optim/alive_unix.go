//go:build unix

package optim

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process numbered pid (> 0) exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || !errors.Is(err, syscall.ESRCH)
}
