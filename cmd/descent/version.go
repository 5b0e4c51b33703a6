package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

func init() {
	register(command{"version", "print descent's module version and VCS revision (also --version)", runVersion})
}

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, versionString(debug.ReadBuildInfo()))
	return nil
}

// versionString describes the build: the module version ("(devel)" for a
// build from a checkout rather than from the module proxy), the VCS
// revision and time when the build recorded them (go build stamps them
// in a git checkout unless -buildvcs=false), and the Go version and
// platform.
func versionString(bi *debug.BuildInfo, ok bool) string {
	v, rev, at, dirty := "unknown", "", "", false
	if ok {
		v = bi.Main.Version
		if v == "" {
			v = "(devel)"
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	out := "descent " + v
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "+modified"
		}
		out += ", revision " + rev
		if at != "" {
			out += " (" + at + ")"
		}
	} else {
		out += ", revision unknown (built without VCS information)"
	}
	return out + fmt.Sprintf(", %s %s/%s", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
