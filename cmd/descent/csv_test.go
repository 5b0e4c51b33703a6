package main

import (
	"strings"
	"testing"
)

// Issue 17, item 6, through the command line: a CSV file with a UTF-8
// byte-order mark and no header trains; a stray class label is one error line
// naming the file, line and column, exit code 1; --classes declares a count
// with empty classes, and train reports which classes have rows.
func TestTrainCSVClasses(t *testing.T) {
	code, out, errOut := runCmd(t, "train", "--quiet", "--csv", "testdata/bom-no-header.csv", "--model", "logistic", "--epochs", "2")
	if code != 0 || !strings.Contains(out, "2 features") {
		t.Errorf("byte-order mark, no header: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out, "classes:    2, all with rows (0: 3, 1: 3)\n") {
		t.Errorf("classes not reported:\n%s", out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--csv", "testdata/stray-label.csv", "--model", "softmax"},
			`descent train: testdata/stray-label.csv, line 4, column 3 ("label"): class label 999999 would make 1000000 classes, more than the limit of 1000 (--classes N declares the number of classes)` + "\n"},
		{[]string{"--csv", "testdata/sparse-labels.csv", "--model", "softmax"},
			`descent train: testdata/sparse-labels.csv, line 4, column 3 ("label"): class label 40 would make 41 classes, but the file has 5 rows, with labels 0, 1, 2, 40: a stray label? (--classes N declares the number of classes)` + "\n"},
		{[]string{"--csv", "testdata/sparse-labels.csv", "--model", "softmax", "--classes", "20"},
			`descent train: testdata/sparse-labels.csv, line 4, column 3 ("label"): class label 40 out of range: a model of 20 classes takes 0 … 19` + "\n"},
		{[]string{"--csv", "testdata/sparse-labels.csv", "--model", "logistic", "--classes", "41"},
			"descent train: --classes 41: want 0 (from the labels) or a number of classes ≥ 2, with --model softmax or mlp\n"},
		{[]string{"--classes", "3"}, "descent train: --classes applies to --csv only\n"},
	} {
		code, _, errOut := runCmd(t, append([]string{"train", "--quiet"}, c.args...)...)
		if code != 1 || errOut != c.want {
			t.Errorf("%v: exit %d, stderr\n%q\nwant exit 1 and\n%q", c.args, code, errOut, c.want)
		}
	}
	code, out, errOut = runCmd(t, "train", "--quiet", "--csv", "testdata/sparse-labels.csv", "--model", "softmax", "--classes", "41", "--epochs", "2")
	if code != 0 || !strings.Contains(out, "softmax, 41 classes") || !strings.Contains(out, "classes:    41, 4 with rows (0: 1, 1: 1, 2: 1, 40: 2); none for 3–39\n") {
		t.Errorf("--classes 41: exit %d\n%s%s", code, out, errOut)
	}
}

func TestDescribeClasses(t *testing.T) {
	many := make([]int, 30)
	for i := range many {
		if i%2 == 0 {
			many[i] = 1
		}
	}
	for _, c := range []struct {
		counts []int
		want   string
	}{
		{[]int{5, 7}, "2, all with rows (0: 5, 1: 7)"},
		{[]int{0, 7, 0, 0, 1}, "5, 2 with rows (1: 7, 4: 1); none for 0, 2–3"},
		{many, "30, 15 with rows (0: 1, 2: 1, 4: 1, 6: 1, 8: 1, 10: 1, 12: 1, 14: 1, 16: 1, 18: 1, …); none for 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, …"},
	} {
		if got := describeClasses(c.counts); got != c.want {
			t.Errorf("%v:\n got %s\nwant %s", c.counts, got, c.want)
		}
	}
}
