package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/descent-go/descent/safetensors"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

// metric extracts "NAME ... accuracy X" or "R² X" from a line of train's
// output.
func metric(t *testing.T, out, line, name string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + `:.*` + regexp.QuoteMeta(name) + ` ([0-9.eE+-]+)`)
	m := re.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no %q on the %q line of:\n%s", name, line, out)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// With no arguments: softmax on standardized digits with Adam, 20 epochs,
// validation accuracy ≈ 0.97 (0.9694 with the default seed).
func TestTrainDefault(t *testing.T) {
	code, out, errOut := runCmd(t, "train")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	t.Log("\n" + out)
	if acc := metric(t, out, "validation", "accuracy"); acc < 0.96 {
		t.Errorf("validation accuracy %g", acc)
	}
	if !strings.Contains(out, "softmax, 10 classes") || !strings.Contains(out, "adam(lr=0.01") {
		t.Errorf("output:\n%s", out)
	}
	if n := strings.Count(errOut, "epoch "); n != 20 || !strings.Contains(errOut, "epoch  20/20  train loss") {
		t.Errorf("%d epoch lines on stderr:\n%s", n, errOut)
	}
}

func TestTrainModelsAndOptimizers(t *testing.T) {
	for _, c := range []struct {
		args   []string
		line   string
		metric string
		min    float64
	}{
		{[]string{"--dataset", "breast_cancer", "--optim", "momentum", "--schedule", "onecycle"}, "validation", "accuracy", 0.95},
		{[]string{"--dataset", "iris", "--optim", "nesterov", "--schedule", "step", "--warmup", "10", "--epochs", "30"}, "validation", "accuracy", 0.8},
		{[]string{"--dataset", "wine", "--optim", "amsgrad", "--schedule", "plateau", "--batch", "8"}, "validation", "accuracy", 0.9},
		{[]string{"--dataset", "diabetes", "--optim", "sgd", "--lr", "0.1", "--epochs", "40"}, "validation", "R²", 0.3},
		{[]string{"--dataset", "diabetes", "--optim", "adamw", "--lr", "3", "--wd", "0.001"}, "validation", "R²", 0.45},
		{[]string{"--dataset", "diabetes", "--optim", "sgd", "--batch", "0", "--epochs", "200", "--l2", "0.01", "--val", "0"}, "train", "R²", 0.45},
		{[]string{"--csv", "testdata/binary.csv", "--model", "logistic", "--epochs", "10"}, "validation", "accuracy", 0.9},
		{[]string{"--csv", "testdata/binary.csv", "--model", "softmax", "--epochs", "10"}, "validation", "accuracy", 0.9},
		{[]string{"--csv", "testdata/regression.csv", "--label-col", "1", "--model", "leastsq", "--optim", "momentum"}, "validation", "R²", 0.99},
	} {
		code, out, errOut := runCmd(t, append([]string{"train", "--quiet"}, c.args...)...)
		if code != 0 {
			t.Errorf("%v: exit %d\n%s%s", c.args, code, out, errOut)
			continue
		}
		if errOut != "" {
			t.Errorf("%v: --quiet wrote to stderr: %s", c.args, errOut)
		}
		if v := metric(t, out, c.line, c.metric); v < c.min {
			t.Errorf("%v: %s %s %g < %g\n%s", c.args, c.line, c.metric, v, c.min, out)
		}
	}
}

// Bad input: one clear error line naming the file, line and column, exit 1.
func TestTrainBadInput(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.csv")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--csv", missing, "--model", "logistic"}, 1, "open " + missing + ": no such file or directory"},
		{[]string{"--csv", "testdata/ragged.csv", "--model", "logistic"}, 1, "testdata/ragged.csv, line 4, column 3: 2 columns, want 3 as on line 1"},
		{[]string{"--csv", "testdata/nonnumeric.csv", "--model", "logistic"}, 1, `testdata/nonnumeric.csv, line 3, column 2 ("x2"): cannot read "four" as a number`},
		{[]string{"--csv", "testdata/fractional-label.csv", "--model", "softmax"}, 1, `testdata/fractional-label.csv, line 3, column 3 ("label"): class label 1.5 is not a class index`},
		{[]string{"--csv", "testdata/three-classes.csv", "--model", "logistic"}, 1, `testdata/three-classes.csv, line 3, column 3 ("label"): class label 2 out of range`},
		{[]string{"--csv", "testdata/binary.csv", "--model", "logistic", "--label-col", "9"}, 1, "testdata/binary.csv, line 1: label column 9 out of range: the file has 4 columns"},
		{[]string{"--csv", "testdata/binary.csv"}, 1, "--csv needs --model"},
		{[]string{"--dataset", "mnist"}, 1, "--dataset"},
		{[]string{"--dataset", "diabetes", "--model", "softmax"}, 1, "regression data set"},
		{[]string{"--optim", "adadelta"}, 1, `--optim "adadelta"`}, // rmsprop was unknown before it was added
		{[]string{"--schedule", "linear"}, 1, `--schedule "linear"`},
		{[]string{"--val", "1"}, 1, "--val"},
		{[]string{"--lr", "-1"}, 1, "learning rate -1"},
		{[]string{"--epochs", "x"}, 2, "invalid value"},
		// --l2 Inf panicked; negative values are refused, not clamped.
		{[]string{"--l2", "Inf"}, 1, "--l2 +Inf: must be finite and ≥ 0"},
		{[]string{"--l2", "-1"}, 1, "--l2 -1: must be finite and ≥ 0"},
		{[]string{"--wd", "-5"}, 1, "weight decay -5"},
		{[]string{"--warmup", "-1"}, 1, "--warmup must be ≥ 0"},
		{[]string{"--patience", "-1"}, 1, "--patience -1: must be ≥ 0"},
		{[]string{"extra"}, 2, "unexpected arguments"},
		{[]string{"--dataset", "diabetes", "--model", "leastsq", "--no-standardize", "--optim", "sgd", "--lr", "1"}, 1, "loss is +Inf at epoch 3, batch 9 (try a smaller learning rate)"},
	} {
		code, out, errOut := runCmd(t, append([]string{"train", "--quiet"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, errOut, c.code, c.want)
		}
		if c.code == 1 && strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: not one error line: %q", c.args, errOut)
		}
		_ = out
	}
}

// A run saved after 4 epochs and resumed to 8 ends exactly where an
// uninterrupted 8-epoch run ends.
func TestTrainSaveResume(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "run.ck")
	common := []string{"train", "--quiet", "--dataset", "wine", "--optim", "adam", "--schedule", "constant", "--batch", "16"}
	code, full, e := runCmd(t, append(common, "--epochs", "8")...)
	if code != 0 {
		t.Fatal(e)
	}
	code, out, e := runCmd(t, append(common, "--epochs", "4", "--save", ck)...)
	if code != 0 || !strings.Contains(out, "saved:") {
		t.Fatalf("save: %d %s %s", code, out, e)
	}
	if _, err := os.Stat(ck); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(ck + ".json"); !os.IsNotExist(err) {
		t.Errorf("a settings file beside the checkpoint: %v", err)
	}
	code, resumed, e := runCmd(t, "train", "--quiet", "--resume", ck, "--epochs", "8", "--save", ck)
	if code != 0 {
		t.Fatalf("resume: %d %s %s", code, resumed, e)
	}
	if !strings.Contains(resumed, "resumed:    "+ck+" after epoch 4") {
		t.Errorf("resumed output:\n%s", resumed)
	}
	line := func(s, prefix string) string {
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		return ""
	}
	for _, p := range []string{"train:", "validation:"} {
		if a, b := line(full, p), line(resumed, p); a == "" || a != b {
			t.Errorf("uninterrupted %q, resumed %q", a, b)
		}
	}
	// Nothing left to do: the metrics are printed again.
	code, again, _ := runCmd(t, "train", "--quiet", "--resume", ck)
	if code != 0 || line(again, "validation:") != line(full, "validation:") {
		t.Errorf("resume at the end: %d\n%s", code, again)
	}
	// Settings come from the checkpoint.
	if code, _, e := runCmd(t, "train", "--resume", ck, "--lr", "0.1"); code != 2 || !strings.Contains(e, "--lr cannot be combined with --resume") {
		t.Errorf("--lr with --resume: %d %q", code, e)
	}
	if code, _, e := runCmd(t, "train", "--resume", ck, "--epochs", "3"); code != 1 || !strings.Contains(e, "--epochs 3: the checkpoint has trained 8 epochs already") {
		t.Errorf("--epochs below the checkpoint's: %d %q", code, e)
	}
	if code, _, e := runCmd(t, "train", "--resume", filepath.Join(dir, "none")); code != 1 || !strings.Contains(e, "none: no such file") {
		t.Errorf("missing checkpoint: %d %q", code, e)
	}
	os.WriteFile(ck, []byte("garbage"), 0o644)
	if code, _, e := runCmd(t, "train", "--resume", ck); code != 1 || !strings.Contains(e, "--resume") {
		t.Errorf("corrupt checkpoint: %d %q", code, e)
	}
}

// --json prints one JSON object with the run's report and nothing else on
// stdout; its numbers are those of the text report.
func TestTrainJSON(t *testing.T) {
	args := []string{"train", "--quiet", "--dataset", "diabetes", "--model", "leastsq", "--epochs", "3"}
	code, text, e := runCmd(t, args...)
	if code != 0 {
		t.Fatal(e)
	}
	code, out, e := runCmd(t, append(args, "--json")...)
	if code != 0 {
		t.Fatal(e)
	}
	var rep struct {
		Dataset    string `json:"dataset"`
		Epochs     int    `json:"epochs"`
		Steps      int    `json:"steps"`
		History    []struct{ Epoch int }
		Validation struct {
			Rows     int
			Loss, R2 float64
			Accuracy *float64
		}
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Dataset != "diabetes" || rep.Epochs != 3 || len(rep.History) != 3 || rep.Validation.Accuracy != nil || rep.Validation.Rows == 0 {
		t.Errorf("report: %+v", rep)
	}
	want := fmt.Sprintf("validation: loss %.4f  R² %.4f  (%d rows)", rep.Validation.Loss, rep.Validation.R2, rep.Validation.Rows)
	if lineOf(text, "validation:") != want {
		t.Errorf("JSON gives %q, the text report %q", want, lineOf(text, "validation:"))
	}
}

// descent train --model mlp: the float32 network of models/mlp through the
// same loop, ≥ 97 % on the digits; saved and resumed bit for bit; and
// searched by descent tune, the same table for any --parallel.
func TestTrainMLP(t *testing.T) {
	code, out, e := runCmd(t, "train", "--quiet", "--model", "mlp", "--hidden", "128")
	if code != 0 {
		t.Fatalf("%d %s", code, e)
	}
	if !strings.Contains(out, "model:      mlp, 64→128 ReLU→10 softmax, float32") {
		t.Errorf("output:\n%s", out)
	}
	if acc := metric(t, out, "validation", "accuracy"); acc < 0.97 {
		t.Errorf("validation accuracy %v < 0.97\n%s", acc, out)
	}
	dir := t.TempDir()
	ck := filepath.Join(dir, "mlp.ck")
	common := []string{"train", "--quiet", "--dataset", "wine", "--model", "mlp", "--hidden", "16", "--schedule", "constant", "--lr", "0.003"}
	_, full, _ := runCmd(t, append(common, "--epochs", "6")...)
	if code, _, e := runCmd(t, append(common, "--epochs", "3", "--save", ck)...); code != 0 {
		t.Fatal(e)
	}
	code, resumed, e := runCmd(t, "train", "--quiet", "--resume", ck, "--epochs", "6")
	if code != 0 || lineOf(resumed, "validation:") == "" || lineOf(resumed, "validation:") != lineOf(full, "validation:") {
		t.Errorf("resumed %d %s\n%s\nwant the validation line of\n%s", code, e, resumed, full)
	}
	tune := []string{"tune", "--quiet", "--dataset", "wine", "--model", "mlp", "--hidden", "16", "--optims", "adam,momentum",
		"--lrs", "0.001,0.1", "--folds", "3", "--scheduler", "asha", "--budget", "9"}
	code, t1, e := runCmd(t, append(tune, "--parallel", "1")...)
	if code != 0 || !strings.Contains(t1, "model mlp") || !strings.Contains(t1, "pruned") || !strings.Contains(t1, "val acc") {
		t.Fatalf("tune --model mlp: %d %s\n%s", code, e, t1)
	}
	if _, t2, _ := runCmd(t, append(tune, "--parallel", "2")...); t2 != t1 {
		t.Errorf("--parallel 2 gives another table:\n%s\nwant\n%s", t2, t1)
	}
	for _, c := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"train", "--model", "softmax", "--hidden", "8"}, "--hidden applies to --model mlp"},
		{[]string{"train", "--model", "mlp", "--hidden", "0"}, "--hidden 0"},
		{[]string{"train", "--dataset", "diabetes", "--model", "mlp"}, "regression data set"},
		{[]string{"tune", "--model", "mlp", "--lr-find"}, "--lr-find runs the linear models"},
		{[]string{"tune", "--model", "softmax", "--hidden", "8"}, "--hidden applies to --model mlp"},
	} {
		if code, _, e := runCmd(t, append(c.cmd, "--quiet")...); code != 1 || !strings.Contains(e, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.cmd, code, e, c.want)
		}
	}
}

// TestTrainState8Bit: --state8bit keeps the MLP's hidden layer's Adam state
// as 8-bit codes (the checkpoint holds U8 tensors and their maxima), still
// learns, resumes from the checkpoint's settings, and is refused for the
// float64 linear models.
func TestTrainState8Bit(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "s8.ck")
	code, out, e := runCmd(t, "train", "--quiet", "--model", "mlp", "--state8bit", "--epochs", "5", "--save", ck)
	if code != 0 {
		t.Fatalf("%d %s", code, e)
	}
	if !strings.Contains(out, "8-bit state from 4096 elements") {
		t.Errorf("output does not describe the state:\n%s", out)
	}
	if acc := metric(t, out, "validation", "accuracy"); acc < 0.95 {
		t.Errorf("validation accuracy %v < 0.95\n%s", acc, out)
	}
	f, err := os.Open(ck)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	h, err := safetensors.ReadHeader(f, fi.Size())
	if err != nil {
		t.Fatal(err)
	}
	dt := map[string]string{}
	for _, x := range h.Tensors {
		dt[x.Name] = x.Dtype
	}
	if dt["hidden.exp_avg"] != "U8" || dt["hidden.exp_avg_sq.absmax"] != "F32" || dt["output.exp_avg"] != "F32" {
		t.Errorf("checkpoint dtypes %v", dt)
	}
	if code, out, e := runCmd(t, "train", "--quiet", "--resume", ck, "--epochs", "7"); code != 0 || !strings.Contains(out, "8-bit state") {
		t.Errorf("resume: %d %s\n%s", code, e, out)
	}
	if code, _, e := runCmd(t, "train", "--quiet", "--state8bit"); code == 0 || !strings.Contains(e, "--model mlp") {
		t.Errorf("--state8bit with the softmax model: %d %s", code, e)
	}
}
