package main

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "version"} {
		code, out, e := runCmd(t, arg)
		if code != 0 || !strings.HasPrefix(out, "descent ") || !strings.Contains(out, runtime.Version()) || e != "" {
			t.Errorf("%s: exit %d, %q %q", arg, code, out, e)
		}
	}
	bi := &debug.BuildInfo{Main: debug.Module{Path: "github.com/descent-go/descent", Version: "v0.2.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-03T04:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	want := "descent v0.2.0, revision 0123456789ab+modified (2026-12-03T04:00:00Z), " + runtime.Version()
	if got := versionString(bi, true); !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q…", got, want)
	}
	if got := versionString(nil, false); !strings.HasPrefix(got, "descent unknown, revision unknown") {
		t.Errorf("no build info: %q", got)
	}
}
