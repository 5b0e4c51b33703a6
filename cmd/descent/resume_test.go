package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/descent-go/descent/internal/selfexec"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/safetensors"
)

// TestMain lets the kill-loop test run the command in a process of its
// own: the test binary is the descent command when DESCENT_TEST_CLI is set.
func TestMain(m *testing.M) {
	if os.Getenv("DESCENT_TEST_CLI") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// savedRun trains a small run for epochs epochs and saves it; it returns
// the checkpoint's path and its settings.
func savedRun(t *testing.T, epochs int) (string, *trainMeta) {
	t.Helper()
	ck := filepath.Join(t.TempDir(), "run.ck")
	code, _, e := runCmd(t, "train", "--quiet", "--dataset", "wine", "--schedule", "constant", "--batch", "16",
		"--epochs", fmt.Sprint(epochs), "--save", ck)
	if code != 0 {
		t.Fatal(e)
	}
	m, raw, err := readMeta(ck)
	if err != nil || raw == "" {
		t.Fatalf("readMeta: %v (raw %q)", err, raw)
	}
	return ck, m
}

// Settings no run writes are refused with one line naming the field; each
// of these panicked or trained something else when read from the old
// settings file.
func TestTrainSettingsChecked(t *testing.T) {
	_, good := savedRun(t, 1)
	if err := good.check(); err != nil {
		t.Fatalf("saved settings fail their check: %v", err)
	}
	for _, c := range []struct {
		edit func(m *trainMeta)
		want string
	}{
		{func(m *trainMeta) { m.Mean = m.Mean[:3] }, "3 means and 13 scales for 13 features"},
		{func(m *trainMeta) { m.Val = 5 }, "val 5: want a fraction in [0, 1)"},
		{func(m *trainMeta) { m.Val = math.NaN() }, "val NaN"},
		{func(m *trainMeta) { m.L2 = math.Inf(1) }, "l2 +Inf"},
		{func(m *trainMeta) { m.L2 = -1 }, "l2 -1"},
		{func(m *trainMeta) { m.Scale[2] = 0 }, "feature 2: mean"},
		{func(m *trainMeta) { m.Mean[0] = math.NaN() }, "feature 0: mean NaN"},
		{func(m *trainMeta) { m.Batch = -1 }, "batch -1"},
		{func(m *trainMeta) { m.Epoch = 7 }, "epoch 7 of 1"},
		{func(m *trainMeta) { m.Epochs = 0 }, "epoch 1 of 0"},
		{func(m *trainMeta) { m.Model = "cnn" }, `model "cnn"`},
		{func(m *trainMeta) { m.Model = "mlp" }, "hidden 0 for model mlp"},
		{func(m *trainMeta) { m.Hidden = 8 }, "hidden 8 for model softmax"},
		{func(m *trainMeta) { m.Classes = 1 }, "classes 1 for model softmax"},
		{func(m *trainMeta) { m.Features = 0 }, "features 0"},
		{func(m *trainMeta) { m.CSV = "x.csv" }, "want exactly one"},
		{func(m *trainMeta) { m.Schedule.Warmup = -1 }, "negative warm-up -1"},
		{func(m *trainMeta) { m.Schedule.Kind = "nope" }, "nope"},
		{func(m *trainMeta) { m.Optim.LR = -1 }, "learning rate -1"},
		{func(m *trainMeta) { m.Standardize = false }, "without standardize"},
	} {
		b, _ := json.Marshal(good)
		var m trainMeta
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		c.edit(&m)
		err := m.check()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want an error containing %q", err, c.want)
		}
	}
}

// legacyCheckpoint rewrites the run saved at ck as versions 1 and 2 did —
// the checkpoint without the settings, and the settings beside it in
// FILE.json — with the settings changed by edit.
func legacyCheckpoint(t *testing.T, ck string, edit func(m map[string]any)) string {
	t.Helper()
	m, _, err := readMeta(ck)
	if err != nil {
		t.Fatal(err)
	}
	df := m.dataFlags()
	ds, _, err := df.load()
	if err != nil {
		t.Fatal(err)
	}
	r, err := m.build(ds, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.tr.Opt.Close()
	if err := r.tr.Opt.Load(ck); err != nil {
		t.Fatal(err)
	}
	if err := r.tr.Opt.SetMetadata(nil); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(filepath.Dir(ck), "legacy.ck")
	if err := r.tr.Opt.Save(old); err != nil {
		t.Fatal(err)
	}
	m.Version = 2
	b, _ := json.Marshal(m)
	var raw map[string]any
	json.Unmarshal(b, &raw)
	edit(raw)
	b, _ = json.MarshalIndent(raw, "", "  ")
	if err := os.WriteFile(old+".json", b, 0o644); err != nil {
		t.Fatal(err)
	}
	return old
}

// A checkpoint of versions 1 and 2 (settings in FILE.json) still resumes;
// hand-edited settings there are one-line errors (they panicked).
func TestTrainResumeLegacy(t *testing.T) {
	ck, _ := savedRun(t, 2)
	code, want, e := runCmd(t, "train", "--quiet", "--resume", ck, "--epochs", "3")
	if code != 0 {
		t.Fatal(e)
	}
	old := legacyCheckpoint(t, ck, func(map[string]any) {})
	code, got, e := runCmd(t, "train", "--quiet", "--resume", old, "--epochs", "3")
	if code != 0 {
		t.Fatal(e)
	}
	for _, p := range []string{"train:", "validation:"} {
		if a, b := lineOf(got, p), lineOf(want, p); a == "" || a != b {
			t.Errorf("legacy resume: %q, want %q", a, b)
		}
	}
	for _, c := range []struct {
		edit func(m map[string]any)
		want string
	}{
		{func(m map[string]any) { m["mean"] = []float64{1, 2} }, "2 means and 13 scales"},
		{func(m map[string]any) { m["val"] = 5 }, "val 5"},
		{func(m map[string]any) { m["l2"] = -1 }, "l2 -1"},
		{func(m map[string]any) { m["batch"] = "x" }, "cannot unmarshal"},
		{func(m map[string]any) { m["vall"] = 0.1 }, `unknown field "vall"`},
	} {
		old := legacyCheckpoint(t, ck, c.edit)
		code, _, e := runCmd(t, "train", "--quiet", "--resume", old)
		if code != 1 || !strings.Contains(e, c.want) || strings.Count(e, "\n") != 1 {
			t.Errorf("exit %d, stderr %q; want exit 1 and one line with %q", code, e, c.want)
		}
	}
}

// Kill loop: a run resumed after every kill -9 — killed at random while
// training or saving — ends with the same checkpoint, bit for bit, as the
// run that was never interrupted, and no temporary file is left behind.
// (Versions 1 and 2 wrote the checkpoint and its settings in two steps:
// 145 kills left 8 mismatched pairs, and 40 kills left 36 temporary
// files.)
func TestTrainKillLoop(t *testing.T) {
	const epochs = 12
	dir := t.TempDir()
	common := []string{"train", "--quiet", "--dataset", "digits", "--schedule", "constant", "--batch", "8"}
	ref := filepath.Join(dir, "ref.ck")
	if code, _, e := runCmd(t, append(common, "--epochs", fmt.Sprint(epochs), "--save", ref)...); code != 0 {
		t.Fatal(e)
	}
	ck := filepath.Join(dir, "run.ck")
	if code, _, e := runCmd(t, append(common, "--epochs", "1", "--save", ck)...); code != 0 {
		t.Fatal(e)
	}
	cli := func(args ...string) *exec.Cmd {
		c := selfexec.Command(args...)
		c.Env = append(os.Environ(), "DESCENT_TEST_CLI=1")
		var out bytes.Buffer
		c.Stdout, c.Stderr = &out, &out
		return c
	}
	// One uninterrupted epoch's wall time bounds the kill times.
	start := time.Now()
	if c := cli("train", "--quiet", "--resume", ck, "--epochs", "2", "--save", filepath.Join(dir, "probe.ck")); c.Run() != nil {
		t.Fatalf("%s", c.Stdout)
	}
	span := time.Since(start)
	rng := rand.New(rand.NewPCG(1, 2))
	kills, leftTemps, runs := 0, 0, 0
	for epoch := 1; epoch < epochs; {
		runs++
		if runs > 200 {
			t.Fatalf("no progress after %d runs (epoch %d)", runs, epoch)
		}
		c := cli("train", "--quiet", "--resume", ck, "--epochs", fmt.Sprint(epoch+1), "--reschedule", "--save", ck)
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		// Two in three runs are killed at a uniform time within an
		// epoch's span (if still running); the others run to the end.
		var err error
		killed := false
		if rng.IntN(3) > 0 {
			select {
			case err = <-done:
			case <-time.After(time.Duration(rng.Float64() * float64(span))):
				c.Process.Kill()
				err = <-done
				kills++
				killed = true
			}
		} else {
			err = <-done
		}
		ents, _ := filepath.Glob(filepath.Join(dir, ".run.ck.tmp-*"))
		leftTemps = max(leftTemps, len(ents))
		m, _, rerr := readMeta(ck)
		if rerr != nil {
			t.Fatalf("after run %d (%v): the checkpoint does not resume: %v", runs, err, rerr)
		}
		if m.Epoch < epoch || m.Epoch > epoch+1 {
			t.Fatalf("after run %d: epoch %d, was %d", runs, m.Epoch, epoch)
		}
		if killed && m.Epoch == epoch {
			// What a kill inside Save leaves (rarely hit at random:
			// the save is a few hundred microseconds): its temporary
			// file, named by the documented pattern.
			planted := filepath.Join(dir, fmt.Sprintf(".run.ck.tmp-%s-%d-%d", hostHash(t), c.Process.Pid, runs))
			if err := os.WriteFile(planted, []byte("partial"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		epoch = m.Epoch
	}
	// The last save removed every dead process's temporary file.
	if ents, _ := filepath.Glob(filepath.Join(dir, ".run.ck.tmp-*")); len(ents) > 0 {
		t.Errorf("temporary files left: %v", ents)
	}
	t.Logf("%d runs, %d killed (%v per epoch), at most %d temporary files at once", runs, kills, span.Round(time.Millisecond), leftTemps)
	if kills == 0 {
		t.Error("no run was killed")
	}
	a, b := readTensors(t, ref), readTensors(t, ck)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("tensors: %d and %d", len(a), len(b))
	}
	for name, x := range a {
		if !bytes.Equal(x, b[name]) {
			t.Errorf("tensor %q differs from the uninterrupted run's", name)
		}
	}
	ma, _ := optim.ReadMetadata(ref)
	mb, _ := optim.ReadMetadata(ck)
	if ma[trainMetaKey] != mb[trainMetaKey] {
		t.Errorf("settings differ:\n%s\n%s", ma[trainMetaKey], mb[trainMetaKey])
	}
}

// hostHash is the host part of optim.Save's temporary names: the first 4
// bytes of the SHA-256 of the host name, in hex.
func hostHash(t *testing.T) string {
	h, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(h))
	return hex.EncodeToString(sum[:4])
}

func readTensors(t *testing.T, path string) map[string][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := safetensors.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, x := range f.Tensors {
		out[x.Name] = x.Data
	}
	return out
}

// A resume with more epochs keeps the saved schedule's plan (and says so)
// unless --reschedule re-plans it (and says what the rate does); the
// kept plan is the same whether the extra epochs come in one resume or two.
func TestTrainResumeSchedule(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "run.ck")
	if code, _, e := runCmd(t, "train", "--quiet", "--dataset", "wine", "--batch", "16", "--epochs", "4", "--save", ck); code != 0 {
		t.Fatal(e)
	}
	copyFile := func(name string) string {
		b, err := os.ReadFile(ck)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one, two, re := copyFile("one.ck"), copyFile("two.ck"), copyFile("re.ck")
	code, out, e := runCmd(t, "train", "--quiet", "--resume", one, "--epochs", "8")
	if code != 0 || !strings.Contains(out, "schedule:   cosine as planned over 4 epochs (36 steps), kept; it ends after epoch 4") {
		t.Fatalf("keep: %d\n%s%s", code, out, e)
	}
	if code, _, e := runCmd(t, "train", "--quiet", "--resume", two, "--epochs", "6", "--save", two); code != 0 {
		t.Fatal(e)
	}
	code, out2, e := runCmd(t, "train", "--quiet", "--resume", two, "--epochs", "8")
	if code != 0 || lineOf(out2, "validation:") != lineOf(out, "validation:") || !strings.Contains(out2, "as planned over 4 epochs") {
		t.Errorf("4→6→8 kept: %d\n%s%s\nwant the validation line of 4→8:\n%s", code, out2, e, out)
	}
	code, out3, e := runCmd(t, "train", "--quiet", "--resume", re, "--epochs", "8", "--reschedule")
	if code != 0 || !strings.Contains(out3, "schedule:   cosine re-planned over 8 epochs (72 steps), was 4: the rate goes from 0 (last update) to 0.00") {
		t.Errorf("reschedule: %d\n%s%s", code, out3, e)
	}
	if lineOf(out3, "validation:") == lineOf(out, "validation:") {
		t.Error("re-planned and kept schedules gave the same run")
	}
	if code, _, e := runCmd(t, "train", "--quiet", "--dataset", "wine", "--reschedule"); code != 1 || !strings.Contains(e, "--reschedule applies to --resume") {
		t.Errorf("--reschedule without --resume: %d %q", code, e)
	}
}
