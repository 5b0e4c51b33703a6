package main

import (
	"regexp"
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

// Every command's help writes flags as --name, as the README does, with
// defaults only where they say something (no "(default -1)" or "(default 0)").
func TestHelp(t *testing.T) {
	for _, c := range commands {
		code, out, e := runCmd(t, c.name, "-h")
		help := out + e
		if code != 0 || !strings.Contains(help, "usage: descent "+c.name+" [flags]") {
			t.Errorf("%s -h: exit %d\n%s", c.name, code, help)
		}
		if m := regexp.MustCompile(`\(default -[0-9]`).FindString(help); m != "" {
			t.Errorf("%s -h shows %q:\n%s", c.name, m, help)
		}
		for _, bad := range []string{"(default 0)", "(default false)", "Usage of"} {
			if strings.Contains(help, bad) {
				t.Errorf("%s -h shows %q:\n%s", c.name, bad, help)
			}
		}
		if m := regexp.MustCompile(`\n  -[^-]`).FindString(help); m != "" {
			t.Errorf("%s -h shows a single-dash flag %q:\n%s", c.name, m, help)
		}
	}
	if _, out, e := runCmd(t, "train", "-h"); !strings.Contains(out+e, "  --batch int\n        rows per step; 0 for full-batch gradient descent (default 32)") {
		t.Errorf("train -h:\n%s%s", out, e)
	}
}
