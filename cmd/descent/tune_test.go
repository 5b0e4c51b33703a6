package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
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
		// Schedulers: bad settings are one-line errors, never panics.
		{[]string{"--scheduler", "bohb"}, 1, `--scheduler "bohb": want one of none, sh, asha, hyperband, median`},
		{[]string{"--scheduler", "asha", "--eta", "1"}, 1, "--eta 1: the reduction factor must be at least 2"},
		{[]string{"--scheduler", "sh", "--eta", "-4"}, 1, "--eta -4"},
		{[]string{"--scheduler", "hyperband", "--grace", "0"}, 1, "--grace 0: the grace period must be at least 1 epoch"},
		{[]string{"--scheduler", "asha", "--budget", "2", "--grace", "3"}, 1, "budget of 2 epochs is smaller than the grace period of 3"},
		{[]string{"--scheduler", "median", "--budget", "2", "--grace", "3"}, 1, "budget of 2 epochs is smaller than the grace period of 3"},
		{[]string{"--budget", "-1"}, 1, "--budget -1: must be ≥ 0"},
		{[]string{"--budget", "0", "--scheduler", "asha"}, 1, "need at least 2 folds and 1 epoch"},
		{[]string{"--budget", "5", "--epochs", "6"}, 1, "--budget 5 and --epochs 6: give one"},
		{[]string{"--compare", "--scheduler", "asha"}, 1, "--compare runs every scheduler"},
		{[]string{"--compare", "--json"}, 1, "--compare prints its own table"},
		{[]string{"--json", "--lr-find"}, 1, "--json and --lr-find exclude each other"},
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

// descent tune --scheduler asha: the table has the epochs each trial
// reached, pruned ones marked; the output is the same whatever --parallel;
// --json has every trial with its status and curve; --svg draws them.
func TestTuneScheduler(t *testing.T) {
	dir := t.TempDir()
	svg := filepath.Join(dir, "tune.svg")
	args := []string{"tune", "--quiet", "--dataset", "wine", "--scheduler", "asha", "--budget", "9", "--eta", "3", "--grace", "1",
		"--folds", "3", "--optims", "sgd,momentum,adam", "--lrs", "0.0001,0.001,0.01,0.1,1", "--batch", "16"}
	code, out, errOut := runCmd(t, append(args, "--svg", svg)...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	t.Log("\n" + out)
	if !strings.Contains(out, "pruned: asha(η=3, grace=1)") || !regexp.MustCompile(`batch\s+epochs\s+val loss \(3 folds\)`).MatchString(out) {
		t.Errorf("header:\n%s", out)
	}
	pruned := regexp.MustCompile(`(?m)^\d+\s+\w+\s.*\s16\s+[13] pruned\s+\d`).FindAllString(out, -1)
	finished := regexp.MustCompile(`(?m)^\d+\s+\w+\s.*\s16\s+9\s+\d`).FindAllString(out, -1)
	if len(pruned) == 0 || len(finished) == 0 || len(pruned)+len(finished) != 15 {
		t.Errorf("%d pruned rows, %d finished rows:\n%s", len(pruned), len(finished), out)
	}
	m := regexp.MustCompile(`epochs: (\d+) of 135 trial-epochs \([0-9.]+ %\): (\d+) trials finished, (\d+) pruned, 0 diverged`).FindStringSubmatch(out)
	if m == nil || m[2] != itoa(len(finished)) || m[3] != itoa(len(pruned)) {
		t.Errorf("no epochs line matching the rows:\n%s", out)
	}
	for _, p := range []string{"1", "3"} {
		if _, again, _ := runCmd(t, append(args, "--parallel", p)...); again != out {
			t.Errorf("--parallel %s gives another table:\n%s", p, again)
		}
	}
	b, err := os.ReadFile(svg)
	if err != nil || !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "pruned") {
		t.Errorf("svg: %v, %d bytes", err, len(b))
	}

	code, js, errOut := runCmd(t, append(args, "--json")...)
	if code != 0 {
		t.Fatalf("--json: exit %d: %s", code, errOut)
	}
	var rep struct {
		Scheduler   string `json:"scheduler"`
		Budget      int    `json:"budget"`
		EpochsSpent int    `json:"epochs_spent"`
		EpochsFull  int    `json:"epochs_full"`
		Pruned      int    `json:"pruned"`
		Finished    int    `json:"finished"`
		Best        *int   `json:"best"`
		Trials      []struct {
			Rank    int                `json:"rank"`
			Index   int                `json:"index"`
			Status  string             `json:"status"`
			Epochs  int                `json:"epochs"`
			ValLoss *float64           `json:"val_loss"`
			Curve   []float64          `json:"curve"`
			Hyper   map[string]float64 `json:"hyper"`
		} `json:"trials"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	if rep.Scheduler != "asha(η=3, grace=1)" || rep.Budget != 9 || rep.EpochsFull != 135 || len(rep.Trials) != 15 ||
		rep.Pruned != len(pruned) || rep.Finished != len(finished) || rep.Best == nil || *rep.Best != rep.Trials[0].Index {
		t.Errorf("json: %+v", rep)
	}
	sum := 0
	for i, tr := range rep.Trials {
		sum += tr.Epochs
		if tr.Rank != i+1 || len(tr.Curve) != tr.Epochs || tr.ValLoss == nil || *tr.ValLoss != tr.Curve[len(tr.Curve)-1] ||
			(tr.Status == "pruned") != (tr.Epochs < 9) || tr.Hyper["lr"] == 0 {
			t.Errorf("json trial %+v", tr)
		}
	}
	if sum != rep.EpochsSpent || !strings.Contains(out, "epochs: "+itoa(sum)+" of 135") {
		t.Errorf("epochs: %d summed, %d reported", sum, rep.EpochsSpent)
	}

	// Progress without --quiet: trials pruned and finished, epochs.
	_, _, errOut = runCmd(t, append([]string{"tune"}, args[2:]...)...)
	if !regexp.MustCompile(`tune: 15/15 trials \(\d+ finished, \d+ pruned, 0 diverged; 0 running, 0 waiting at a rung\); \d+/135 epochs`).MatchString(errOut) ||
		!strings.Contains(errOut, "tune: asha(η=3, grace=1): ") {
		t.Errorf("progress: %q", errOut)
	}
}

// descent tune --compare runs the full grid and the three schedulers on the
// same trials; the full grid's row spends every epoch.
func TestTuneCompare(t *testing.T) {
	code, out, errOut := runCmd(t, "tune", "--quiet", "--dataset", "iris", "--compare", "--budget", "4", "--eta", "2", "--grace", "1",
		"--folds", "3", "--optims", "sgd,adam", "--lrs", "0.001,0.1")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	t.Log("\n" + out)
	for _, want := range []string{`none \(full grid\)\s+[0-9.]+\s+\+0\.00 %\s+#\d .*\s16\s+100\.0 %\s+4\s+0\s+0\s`,
		`sh\(η=2, grace=1\)\s+[0-9.]+\s+[+-][0-9.]+ %`, `asha\(η=2, grace=1\)\s`, `hyperband\(η=2, grace=1\)\s`, `median\(startup=5, grace=1, interval=1\)\s`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("no row %q:\n%s", want, out)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// A trial that diverges under a scheduler: the table says so, --json has
// it with status "diverged", a null loss and the finite part of its curve,
// and the search still succeeds.
func TestTuneSchedulerDiverged(t *testing.T) {
	svg := filepath.Join(t.TempDir(), "d.svg")
	code, js, errOut := runCmd(t, "tune", "--quiet", "--dataset", "diabetes", "--optims", "sgd", "--lrs", "0.01,10000,0.1",
		"--scheduler", "asha", "--budget", "9", "--grace", "5", "--eta", "2", "--folds", "3", "--json", "--svg", svg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Diverged int `json:"diverged"`
		Trials   []struct {
			Index   int       `json:"index"`
			Status  string    `json:"status"`
			Epochs  int       `json:"epochs"`
			ValLoss *float64  `json:"val_loss"`
			Curve   []float64 `json:"curve"`
			Error   string    `json:"error"`
		} `json:"trials"`
	}
	if err := json.Unmarshal([]byte(js), &rep); err != nil {
		t.Fatalf("%v\n%s", err, js)
	}
	last := rep.Trials[len(rep.Trials)-1]
	if rep.Diverged != 1 || last.Index != 1 || last.Status != "diverged" || last.ValLoss != nil || len(last.Curve) != last.Epochs ||
		last.Epochs == 0 || !strings.Contains(last.Error, "+Inf") {
		t.Errorf("diverged trial: %+v (of %d diverged)\n%s", last, rep.Diverged, js)
	}
	if b, err := os.ReadFile(svg); err != nil || !strings.Contains(string(b), "diverged") {
		t.Errorf("svg: %v", err)
	}
}
