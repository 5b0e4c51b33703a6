package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestTuneGrid(t *testing.T) {
	args := []string{"tune", "--quiet", "--dataset", "iris", "--optims", "sgd,adam", "--lrs", "0.01,0.1,10", "--folds", "3", "--epochs", "5"}
	code, out, errOut := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	t.Log("\n" + out)
	if !strings.Contains(out, "rank  optimizer  lr") || !strings.Contains(out, "val loss (3 folds)") || !strings.Contains(out, "val acc") {
		t.Errorf("no table header:\n%s", out)
	}
	rows := regexp.MustCompile(`(?m)^(\d+)\s+(\w+)\s+(\S+)\s`).FindAllStringSubmatch(out, -1)
	if len(rows) != 6 {
		t.Fatalf("%d rows:\n%s", len(rows), out)
	}
	if rows[0][1] != "1" || rows[0][3] == "10" {
		t.Errorf("best row %v", rows[0])
	}
	if !strings.Contains(out, "best:   ") {
		t.Errorf("no best line:\n%s", out)
	}
	// The same table whatever the parallelism.
	for _, p := range []string{"1", "4"} {
		_, again, _ := runCmd(t, append(args, "--parallel", p)...)
		if again != out {
			t.Errorf("--parallel %s gives another table:\n%s", p, again)
		}
	}
	// Progress on stderr without --quiet.
	_, _, errOut = runCmd(t, append([]string{"tune"}, args[2:]...)...)
	if !strings.Contains(errOut, "tune: 6/6 trials") {
		t.Errorf("progress: %q", errOut)
	}
}

func TestTuneRandomAndLRFind(t *testing.T) {
	code, out, errOut := runCmd(t, "tune", "--quiet", "--dataset", "breast_cancer", "--random", "5", "--optims", "momentum,adamw",
		"--wd-range", "1e-5,1e-2", "--folds", "3", "--epochs", "3", "--batch", "16,64", "--lr-find", "--top", "3")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	t.Log("\n" + out)
	if !strings.Contains(out, "search: random (5 trials)") || !strings.Contains(out, "model logistic") {
		t.Errorf("header:\n%s", out)
	}
	if rows := regexp.MustCompile(`(?m)^\d+\s+(momentum|adamw)\s`).FindAllString(out, -1); len(rows) != 3 {
		t.Errorf("--top 3 printed %d rows", len(rows))
	}
	for _, k := range []string{"momentum", "adamw"} {
		if !regexp.MustCompile(`(?m)^` + k + `: suggested lr [0-9.e+-]+ \(minimum of the smoothed loss at`).MatchString(out) {
			t.Errorf("no range test for %s:\n%s", k, out)
		}
	}
}

func TestTuneBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--optims", "sgd,foo"}, 1, `--optims: "foo"`},
		{[]string{"--lrs", "0.1,x"}, 1, `--lrs: "x" is not a number`},
		{[]string{"--folds", "1"}, 1, "need at least 2 folds"},
		{[]string{"--batch", "0"}, 1, "--batch"},
		{[]string{"--random", "3", "--grid"}, 2, "exclude each other"},
		{[]string{"--random", "3", "--lr-range", "0,1"}, 1, "--lr-range"},
		{[]string{"--schedule", "nope"}, 1, "--schedule"},
		{[]string{"--csv", "testdata/ragged.csv", "--model", "logistic"}, 1, "testdata/ragged.csv, line 4, column 3"},
		// These panicked (--l2 Inf) or exited 0 with every trial diverged
		// (--warmup -1); negative counts are refused, not clamped.
		{[]string{"--l2", "Inf"}, 1, "--l2 +Inf: must be finite and ≥ 0"},
		{[]string{"--l2", "NaN"}, 1, "--l2 NaN: must be finite and ≥ 0"},
		{[]string{"--warmup", "-1"}, 1, "--warmup -1: must be ≥ 0"},
		{[]string{"--parallel", "-2"}, 1, "--parallel -2: must be ≥ 0"},
		{[]string{"--top", "-1"}, 1, "--top -1: must be ≥ 0"},
		{[]string{"--random", "-1", "--grid=false"}, 1, "--random -1: must be ≥ 0"},
		{[]string{"--wd", "-5", "--optims", "adamw"}, 1, "weight decay -5"},
	} {
		code, _, errOut := runCmd(t, append([]string{"tune", "--quiet"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errOut, c.code, c.want)
		}
		if c.code == 1 && strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: not one error line: %q", c.args, errOut)
		}
	}
}
