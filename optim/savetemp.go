package optim

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Save writes to a temporary file beside the checkpoint and renames it
// into place; a process killed in between leaves the temporary file
// behind. Its name, ".<name>.tmp-<host>-<pid>-<random>", says whose it
// is, so the next Save of the same checkpoint removes the ones that are
// stale:
//
//   - those of this host (a hash of its name) whose process no longer
//     exists (on Unix; the process's own are in use by a concurrent Save);
//   - any of the checkpoint's temporary files, older naming included,
//     not modified for StaleTempAge (another host's, or a process whose
//     number was reused).
//
// A Save in another PID namespace that shares the directory (another
// container) can look dead: removing its file makes that Save fail with an
// error, leaving the checkpoint it was replacing intact.
const StaleTempAge = 24 * time.Hour

// hostTag is the host part of Save's temporary names.
var hostTag = sync.OnceValue(func() string {
	h, _ := os.Hostname()
	sum := sha256.Sum256([]byte(h))
	return hex.EncodeToString(sum[:4])
})

// tempPrefix is the prefix of every temporary file Save writes for target.
func tempPrefix(target string) string { return "." + filepath.Base(target) + ".tmp-" }

// tempPattern is the os.CreateTemp pattern of this process's temporary
// files for target.
func tempPattern(target string) string {
	return tempPrefix(target) + hostTag() + "-" + strconv.Itoa(os.Getpid()) + "-*"
}

// removeStaleTemps removes target's stale temporary files (see
// StaleTempAge); it is best effort, a file it cannot remove is left.
func removeStaleTemps(target string, now time.Time) {
	dir, prefix := filepath.Dir(target), tempPrefix(target)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if staleTemp(rest, e, now) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func staleTemp(rest string, e os.DirEntry, now time.Time) bool {
	if parts := strings.Split(rest, "-"); len(parts) == 3 && parts[0] == hostTag() {
		pid, err := strconv.Atoi(parts[1])
		if err == nil && pid > 0 && pid != os.Getpid() && !processAlive(pid) {
			return true
		}
	}
	fi, err := e.Info()
	return err == nil && now.Sub(fi.ModTime()) > StaleTempAge
}
