package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/descent-go/descent/optim"
)

// Every optimizer of the registry trains from the command line with its
// default learning rate: softmax on digits reaches ≥ 0.95 validation
// accuracy.
func TestTrainEveryOptimizer(t *testing.T) {
	for _, name := range optim.Names() {
		code, out, errOut := runCmd(t, "train", "--quiet", "--optim", name)
		if code != 0 {
			t.Errorf("%s: exit %d\n%s%s", name, code, out, errOut)
			continue
		}
		acc := metric(t, out, "validation", "accuracy")
		t.Logf("%-8s validation accuracy %.4f", name, acc)
		if acc < 0.95 || !strings.Contains(out, "optimizer:  "+name+"(lr=") {
			t.Errorf("%s: accuracy %g\n%s", name, acc, out)
		}
	}
}

// Per-optimizer flags come from the descriptors: they reach the optimizer,
// and one that does not apply is an error naming the ones that do.
func TestTrainOptimizerFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--optim", "rmsprop", "--centered", "--momentum", "0.5", "--alpha", "0.9"}, "rmsprop(lr=0.01, alpha=0.9, momentum=0.5, centered=true, wd=0)"},
		{[]string{"--optim", "adagrad", "--lr", "0.05", "--lr-decay", "0.01", "--initial-accumulator-value", "0.1", "--eps", "1e-6"},
			"adagrad(lr=0.05, lr_decay=0.01, initial_accumulator_value=0.1, eps=1e-06, wd=0)"},
		{[]string{"--optim", "lion", "--beta2", "0.95", "--wd", "0.1"}, "lion(lr=0.001, beta1=0.9, beta2=0.95, wd=0.1)"},
		{[]string{"--optim", "adamw"}, "adamw(lr=0.01, beta1=0.9, beta2=0.999, wd=0.01)"},
		{[]string{"--optim", "momentum", "--momentum", "0"}, "momentum(lr=0.05, momentum=0, wd=0)"},
		{[]string{"--optim", "sgd", "--momentum", "0.8", "--nesterov"}, "sgd(lr=0.1, momentum=0.8, nesterov=true, wd=0)"},
		{[]string{"--optim", "muon", "--ns-steps", "3", "--match-rms-adamw"}, "muon(lr=0.02, momentum=0.95, ns_steps=3, match_rms_adamw=true, wd=0.1)"},
		{[]string{"--optim", "lamb", "--wd", "0.01"}, "lamb(lr=0.03, beta1=0.9, beta2=0.999, wd=0.01)"},
		{[]string{"--optim", "schedulefree", "--warmup-steps", "10", "--r", "0.5", "--weight-lr-power", "1"},
			"schedulefree(lr=0.01, beta1=0.9, beta2=0.999, warmup_steps=10, r=0.5, weight_lr_power=1, wd=0)"},
	} {
		code, out, errOut := runCmd(t, append([]string{"train", "--quiet", "--dataset", "iris", "--epochs", "2"}, c.args...)...)
		if code != 0 || !strings.Contains(out, "optimizer:  "+c.want+",") {
			t.Errorf("%v: exit %d, want %q in\n%s%s", c.args, code, c.want, out, errOut)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--optim", "sgd", "--beta1", "0.9"}, "--beta1 does not apply to sgd (its hyper-parameters: --lr, --momentum, --dampening, --wd, --nesterov, --maximize)"},
		{[]string{"--optim", "adamw", "--decoupled=false"}, "--decoupled does not apply to adamw"},
		{[]string{"--optim", "rmsprop", "--alpha", "2"}, "alpha 2 must be in [0, 1]"},
		{[]string{"--optim", "lion", "--centered=maybe"}, "invalid boolean value"},
	} {
		code, _, errOut := runCmd(t, append([]string{"train", "--quiet", "--dataset", "iris"}, c.args...)...)
		if code == 0 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", c.args, code, errOut, c.want)
		}
	}
}

// A run of a new optimizer saves and resumes bit for bit; a version 1
// settings file (every flag's value stored, plain sgd's momentum of 0.9
// included) still resumes.
func TestTrainResumeOptimizers(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--optim", "rmsprop", "--centered", "--momentum", "0.5"}, {"--optim", "adagrad", "--initial-accumulator-value", "0.2"},
		{"--optim", "muon"}, {"--optim", "lamb"}, {"--optim", "schedulefree", "--warmup-steps", "5"}} {
		ck := filepath.Join(dir, args[1]+".ck")
		common := append([]string{"train", "--quiet", "--dataset", "wine", "--schedule", "constant", "--batch", "16"}, args...)
		_, full, _ := runCmd(t, append(common, "--epochs", "6")...)
		if code, out, e := runCmd(t, append(common, "--epochs", "3", "--save", ck)...); code != 0 {
			t.Fatalf("save: %s%s", out, e)
		}
		code, resumed, e := runCmd(t, "train", "--quiet", "--resume", ck, "--epochs", "6")
		if code != 0 {
			t.Fatalf("resume: %s%s", resumed, e)
		}
		if a, b := lineOf(full, "validation:"), lineOf(resumed, "validation:"); a == "" || a != b {
			t.Errorf("%v: uninterrupted %q, resumed %q", args, a, b)
		}
	}

	ck := filepath.Join(dir, "v1.ck")
	if code, out, e := runCmd(t, "train", "--quiet", "--dataset", "iris", "--optim", "sgd", "--epochs", "2", "--save", ck); code != 0 {
		t.Fatalf("%s%s", out, e)
	}
	ck = legacyCheckpoint(t, ck, func(m map[string]any) {
		m["version"] = 1
		m["optim"] = map[string]any{"Kind": "sgd", "LR": 0.1, "Momentum": 0.9, "Beta1": 0.9, "Beta2": 0.999, "Eps": 0, "WeightDecay": 0, "Workers": 0}
	})
	code, out, e := runCmd(t, "train", "--quiet", "--resume", ck, "--epochs", "3")
	if code != 0 || !strings.Contains(out, "optimizer:  sgd(lr=0.1, wd=0)") {
		t.Errorf("version 1: exit %d\n%s%s", code, out, e)
	}
}

func lineOf(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// tune's grid and range flags come from the descriptors too.
func TestTuneOptimizerFlags(t *testing.T) {
	code, out, errOut := runCmd(t, "tune", "--quiet", "--dataset", "iris", "--optims", "lion,adagrad,rmsprop", "--lrs", "0.01,0.1",
		"--centered", "true,false", "--folds", "3", "--epochs", "3")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	t.Log("\n" + out)
	if !strings.Contains(out, "search: grid, 8 trials") || !strings.Contains(out, "rank  optimizer  lr    beta1  beta2  alpha  centered  wd  batch") {
		t.Errorf("output:\n%s", out)
	}
	code, out, errOut = runCmd(t, "tune", "--quiet", "--dataset", "iris", "--optims", "rmsprop", "--random", "6", "--alpha-range", "0.01,0.1",
		"--momentum-range", "0.1,0.2", "--folds", "3", "--epochs", "2")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	rows := 0
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 5 && f[1] == "rmsprop" { // rank optimizer lr momentum alpha …
			rows++
			mu, _ := strconv.ParseFloat(f[3], 64)
			alpha, _ := strconv.ParseFloat(f[4], 64)
			if mu < 0.1 || mu > 0.2 || alpha < 0.9 || alpha > 0.99 {
				t.Errorf("row %q: momentum %v, alpha %v", l, mu, alpha)
			}
		}
	}
	if rows != 6 || !strings.Contains(out, "rank  optimizer  lr") || !strings.Contains(out, "momentum  alpha") {
		t.Errorf("%d rows:\n%s", rows, out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--optims", "rmsprop", "--centered", "maybe"}, `--centered: "maybe" is not a value of centered`},
		{[]string{"--optims", "rmsprop", "--random", "2", "--alpha-range", "0,0.1"}, "--alpha-range"},
		{[]string{"--optims", "adadelta"}, `--optims: "adadelta" is not one of sgd, momentum, nesterov, adam, adamw, amsgrad, lion, adagrad, rmsprop`},
	} {
		code, _, errOut := runCmd(t, append([]string{"tune", "--quiet", "--dataset", "iris"}, c.args...)...)
		if code != 1 || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want %q", c.args, code, errOut, c.want)
		}
	}
}
