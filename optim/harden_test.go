package optim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/safetensors"
)

// TestParamMixedDtypeError: float32 data with a float64 gradient is refused
// with an error that says what is supported, not that both pairs are set
// (issue 17, item 5; float64 data with a float32 gradient is supported
// since issue 12).
func TestParamMixedDtypeError(t *testing.T) {
	f32, f64 := []float32{1, 2}, []float64{1, 2}
	for _, c := range []struct {
		p    Param
		want []string
	}{
		{Param{Name: "w", Data32: f32, Grad64: f64}, []string{`parameter "w"`, "float32 data with a float64 gradient", "not supported", "Data32 and Grad32", "Data64 and Grad32"}},
		{Param{Name: "w", Data32: f32, Grad32: f32, Data64: f64, Grad64: f64}, []string{`parameter "w"`, "both", "one pair"}},
		{Param{Name: "w", Data32: f32, Grad32: f32, Grad64: f64}, []string{`parameter "w"`, "one pair"}},
	} {
		_, err := NewSGD([]SGDGroup{{Params: []Param{c.p}, Hyper: kernels.SGD{LR: 0.1}}})
		if err == nil {
			t.Fatalf("%+v accepted", c.p)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not say %q", err, w)
			}
		}
	}
}

// TestLossScalerFloor: consecutive skipped steps back the loss scale off
// to a floor, never to a scale whose reciprocal overflows; the clean step
// that follows leaves every parameter finite, even with gradients near the
// largest float32 (issue 17, item 7).
func TestLossScalerFloor(t *testing.T) {
	for _, kind := range []string{"sgd", "adam"} {
		t.Run(kind, func(t *testing.T) {
			w32, g32 := []float32{1, -2, 3}, make([]float32, 3)
			w64, g64 := []float64{1, -2, 3}, make([]float64, 3)
			params := []Param{Float32("w32", w32, g32), Float64("w64", w64, g64)}
			cfg := DefaultScaler()
			var o *Optimizer
			var err error
			if kind == "sgd" {
				o, err = NewSGD([]SGDGroup{{Params: params, Hyper: kernels.SGD{LR: 0.1, Momentum: 0.9}}}, WithLossScaler(cfg), WithWorkers(1))
			} else {
				o, err = NewAdam([]AdamGroup{{Params: params, Hyper: kernels.DefaultAdam()}}, WithLossScaler(cfg), WithWorkers(1))
			}
			if err != nil {
				t.Fatal(err)
			}
			skips := 0
			for ; skips < 3000; skips++ {
				before := o.Scale()
				g32[0] = float32(math.Inf(1))
				info, err := o.Step()
				if err != nil || !info.Skipped {
					t.Fatalf("skip %d: %+v %v", skips, info, err)
				}
				if !(o.Scale() > 0) || math.IsInf(1/o.Scale(), 0) {
					t.Fatalf("after %d skipped steps the scale is %v", skips+1, o.Scale())
				}
				if o.Scale() == before && skips > 0 {
					break
				}
			}
			if o.Scale() != MinLossScale {
				t.Fatalf("after %d skipped steps the scale is %v, not the floor %v", skips, o.Scale(), MinLossScale)
			}
			// An ordinary clean step updates the parameters; then gradients
			// as large as the element types allow (scaled by the floor).
			for _, m := range []float64{0.5, math.MaxFloat32 / 4} {
				s := o.Scale()
				before := w32[0]
				for i := range g32 {
					g32[i] = float32(s) * float32(m) * float32(1-i)
					g64[i] = s * m * float64(1-i)
				}
				if m > 1 {
					g64[0] = s * math.MaxFloat64 / 4
				}
				info, err := o.Step()
				if err != nil || info.Skipped {
					t.Fatalf("clean step after %d skipped: %+v %v", skips, info, err)
				}
				for i := range w32 {
					if math.IsNaN(float64(w32[i])) || math.IsInf(float64(w32[i]), 0) || math.IsNaN(w64[i]) || math.IsInf(w64[i], 0) {
						t.Fatalf("after %d skipped steps and a clean one (gradient %v), parameters %v %v", skips, m, w32, w64)
					}
				}
				if m < 1 && w32[0] == before {
					t.Fatalf("the clean step did not update the parameters: %v", w32)
				}
			}
			t.Logf("%d skipped steps to the floor %v; parameters after a clean step %v %v", skips, o.Scale(), w32, w64)
		})
	}
	// The floor is the least initial scale, and the least a checkpoint may
	// hold.
	cfg := DefaultScaler()
	cfg.InitScale = 0.5
	if err := cfg.Validate(); err == nil {
		t.Error("initial scale 0.5 accepted")
	}
}

// TestStepLimit: a checkpoint whose step count cannot be advanced (validly
// signed) is refused, one just below the limit loads and steps once, and
// Step at the limit returns ErrStepLimit — no panic, no wrapped counter,
// nothing changed — for every algorithm (issue 17, item 1).
func TestStepLimit(t *testing.T) {
	for i, src := range fuzzOptimizers(t) {
		name := src.Algorithm().Name
		if i == 0 {
			name = "amsgrad+scaler"
		}
		t.Run(name, func(t *testing.T) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v", r)
				}
			}()
			dst := fuzzOptimizers(t)[i]
			src.c.step = math.MaxInt
			b := checkpointBytes(t, src)
			before := checkpointBytes(t, dst)
			ck, err := ReadCheckpoint(bytes.NewReader(b))
			if err == nil {
				err = dst.Restore(ck)
			}
			if err == nil || !strings.Contains(err.Error(), "cannot be advanced") {
				t.Fatalf("step %d checkpoint: %v", math.MaxInt, err)
			}
			if !bytes.Equal(before, checkpointBytes(t, dst)) {
				t.Fatal("a failed load changed the optimizer")
			}
			if sc := src.c.scaler; sc != nil {
				src.c.step, sc.tracker = 5, math.MaxInt
				ck, err := ReadCheckpoint(bytes.NewReader(checkpointBytes(t, src)))
				if err == nil {
					err = dst.Restore(ck)
				}
				if err == nil || !strings.Contains(err.Error(), "cannot be advanced") {
					t.Fatalf("growth tracker %d: %v", math.MaxInt, err)
				}
				sc.tracker = 0
			}
			src.c.step = MaxStep - 1
			ck, err = ReadCheckpoint(bytes.NewReader(checkpointBytes(t, src)))
			if err != nil {
				t.Fatal(err)
			}
			if err := dst.Restore(ck); err != nil {
				t.Fatal(err)
			}
			if info, err := dst.Step(); err != nil || info.Step != MaxStep || dst.StepCount() != MaxStep {
				t.Fatalf("step to the limit: %+v %v", info, err)
			}
			before = checkpointBytes(t, dst)
			info, err := dst.Step()
			if !errors.Is(err, ErrStepLimit) || info.Step != MaxStep || dst.StepCount() != MaxStep {
				t.Fatalf("step beyond the limit: %+v %v", info, err)
			}
			if !bytes.Equal(before, checkpointBytes(t, dst)) {
				t.Fatal("a refused step changed the optimizer")
			}
		})
	}
}

// minDuration returns the least time f takes in n runs.
func minDuration(n int, f func()) time.Duration {
	best := time.Duration(math.MaxInt64)
	for range n {
		t0 := time.Now()
		f()
		best = min(best, time.Since(t0))
	}
	return best
}

// TestRestoreLinear: checking a checkpoint against an optimizer is linear
// (or n·log n) in its size on every path: a checkpoint of 40 000 tensors
// with one extra tensor at the end (Restore compared every file tensor with
// every planned one: 0.8·10⁹ comparisons, seconds) is refused in about the
// time a good one is restored; and restoring an optimizer of many groups
// with Stateful schedules (every group scanned all the metadata) takes
// about the time writing it does. The bounds (10× plus 50 ms) are far
// below the quadratic times and far above the linear ones under -race or
// qemu (issue 17, item 2).
func TestRestoreLinear(t *testing.T) {
	n := 40000
	if testing.Short() {
		n = 20000
	}
	t.Run("extra tensor", func(t *testing.T) {
		params := make([]Param, n)
		for i := range params {
			params[i] = Float32(fmt.Sprintf("layer%d.weight", i), []float32{1}, []float32{0})
		}
		o, err := NewSGD([]SGDGroup{{Params: params, Hyper: kernels.SGD{LR: 0.1}}}, WithWorkers(1))
		if err != nil {
			t.Fatal(err)
		}
		good := checkpointBytes(t, o)
		f, err := safetensors.Parse(good)
		if err != nil {
			t.Fatal(err)
		}
		ts := make([]safetensors.Out, 0, n+1)
		for _, x := range f.Tensors {
			ts = append(ts, safetensors.Of(x.Name, x.Shape, []float32{1}))
		}
		ts = append(ts, safetensors.Of("zzz", []int{1}, []float32{1}))
		var w bytes.Buffer
		if _, err := safetensors.Write(&w, f.Metadata, ts); err != nil {
			t.Fatal(err)
		}
		okCk, err := decodeCheckpoint(good, false)
		if err != nil {
			t.Fatal(err)
		}
		badCk, err := decodeCheckpoint(w.Bytes(), false) // checksums not updated
		if err != nil {
			t.Fatal(err)
		}
		var rerr error
		okTime := minDuration(3, func() {
			if err := o.Restore(okCk); err != nil {
				t.Fatal(err)
			}
		})
		badTime := minDuration(3, func() { rerr = o.Restore(badCk) })
		if rerr == nil || !strings.Contains(rerr.Error(), `tensor "zzz"`) {
			t.Fatalf("extra tensor: %v", rerr)
		}
		t.Logf("%d tensors: restored in %v, extra tensor refused in %v", n, okTime, badTime)
		if badTime > 10*okTime+50*time.Millisecond {
			t.Errorf("extra tensor refused in %v, a good checkpoint restored in %v: not linear", badTime, okTime)
		}
	})
	t.Run("stateful schedules", func(t *testing.T) {
		groups := make([]SGDGroup, n/8)
		for i := range groups {
			groups[i] = SGDGroup{Params: []Param{Float32(fmt.Sprintf("w%d", i), []float32{1}, []float32{0})},
				Hyper: kernels.SGD{LR: 0.1}, Schedule: &decaying{best: float64(i)}}
		}
		o, err := NewSGD(groups, WithWorkers(1))
		if err != nil {
			t.Fatal(err)
		}
		var b []byte
		writeTime := minDuration(3, func() { b = checkpointBytes(t, o) })
		ck, err := decodeCheckpoint(b, false)
		if err != nil {
			t.Fatal(err)
		}
		restoreTime := minDuration(3, func() {
			if err := o.Restore(ck); err != nil {
				t.Fatal(err)
			}
		})
		t.Logf("%d groups with Stateful schedules: written in %v, restored in %v", len(groups), writeTime, restoreTime)
		if restoreTime > 10*writeTime+50*time.Millisecond {
			t.Errorf("restored in %v, written in %v: not linear", restoreTime, writeTime)
		}
	})
}

// TestSaveFileMetadata: Save keeps an existing checkpoint's permission bits
// (0600 stays 0600), creates new ones 0600, follows a symbolic link (a
// chain of them, relative or not) and replaces the file it names
// atomically, leaving the link a link, refuses a dangling link or a path
// that is not a regular file, and leaves no temporary file (issue 17, item
// 4).
func TestSaveFileMetadata(t *testing.T) {
	tr := newSGDTrainer(t, 1, 1)
	tr.train(t, 0, 2)
	dir := t.TempDir()
	perm := func(p string) os.FileMode {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	fresh := filepath.Join(dir, "new.safetensors")
	if err := tr.o.Save(fresh); err != nil {
		t.Fatal(err)
	}
	if m := perm(fresh); m != 0o600 {
		t.Errorf("new checkpoint has mode %v, want 0600", m)
	}
	for _, m := range []os.FileMode{0o600, 0o640, 0o644, 0o400} {
		p := filepath.Join(dir, fmt.Sprintf("ck%o.safetensors", m))
		if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
		if err := tr.o.Save(p); err != nil {
			t.Fatal(err)
		}
		if got := perm(p); got != m {
			t.Errorf("saving over a %v checkpoint left it %v", m, got)
		}
		if err := tr.o.Load(p); err != nil {
			t.Fatal(err)
		}
	}

	// link2 → link1 (relative, in another directory) → real file.
	real := filepath.Join(dir, "runs", "ck.safetensors")
	if err := os.MkdirAll(filepath.Dir(real), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(real, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	links := filepath.Join(dir, "links")
	if err := os.Mkdir(links, 0o755); err != nil {
		t.Fatal(err)
	}
	link1, link2 := filepath.Join(links, "latest"), filepath.Join(dir, "current")
	if err := os.Symlink(filepath.Join("..", "runs", "ck.safetensors"), link1); err != nil {
		t.Skip("no symbolic links:", err)
	}
	if err := os.Symlink(link1, link2); err != nil {
		t.Fatal(err)
	}
	if err := tr.o.Save(link2); err != nil {
		t.Fatal(err)
	}
	for _, l := range []string{link1, link2} {
		if fi, err := os.Lstat(l); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s is no longer a symbolic link: %v %v", l, fi.Mode(), err)
		}
	}
	if m := perm(real); m != 0o640 {
		t.Errorf("the link's target has mode %v, want 0640", m)
	}
	want := checkpointBytes(t, tr.o)
	if got, err := os.ReadFile(real); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the link's target does not hold the checkpoint (%d bytes, %v)", len(got), err)
	}
	if err := tr.o.Load(link2); err != nil {
		t.Fatal(err)
	}

	// A dangling link and a directory are refused, and left as they are.
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "missing", "ck"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := tr.o.Save(dangling); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("saving to a dangling link: %v", err)
	}
	if fi, err := os.Lstat(dangling); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the dangling link was replaced: %v", err)
	}
	if err := tr.o.Save(links); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("saving to a directory: %v", err)
	}
	// No temporary files anywhere.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

// allocated returns the bytes f allocates (runtime.MemStats.TotalAlloc).
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// sparseFile writes head at the start of a file of size bytes (the rest
// zeros, a hole where the file system allows) and returns its path.
func sparseFile(t *testing.T, head []byte, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ck.safetensors")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(head); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLoadBoundedMemory: Load checks the header and the sizes against the
// file's real length, and the checkpoint against the optimizer, before it
// reads the data: a large junk file, a header length beyond the file or
// MaxHeaderLen, or a well-formed header declaring 256 MiB of tensors this
// optimizer does not have is refused having allocated next to nothing; a
// good checkpoint is read with one buffer of its data section (no
// io.ReadAll doubling); a file that is not regular (/dev/zero, which ran the
// process out of memory) is refused (issue 17, item 8).
func TestLoadBoundedMemory(t *testing.T) {
	tr := newSGDTrainer(t, 1, 1)
	tr.train(t, 0, 2)
	before := checkpointBytes(t, tr.o)
	const big = 256 << 20
	junkHeader := func(n uint64) []byte { return append(binary.LittleEndian.AppendUint64(nil, n), '{') }
	// A checkpoint header of an optimizer like small, with a valid header
	// digest, declaring its tensor 256 MiB large.
	small, err := NewSGD([]SGDGroup{{Params: []Param{Float32("w", make([]float32, 4), make([]float32, 4))}, Hyper: kernels.SGD{LR: 0.1}}})
	if err != nil {
		t.Fatal(err)
	}
	sf, err := safetensors.Parse(checkpointBytes(t, small))
	if err != nil {
		t.Fatal(err)
	}
	meta := sf.Metadata
	meta["header_sha256"] = headerDigest(meta, []indexEntry{{"w", "F32", []int{big / 4}, big}})
	h := safetensors.Header(meta, []safetensors.Out{safetensors.Of("w", []int{big / 4}, make([]float32, 0))})
	h = bytes.Replace(h, []byte(`"data_offsets":[0,0]`), []byte(fmt.Sprintf(`"data_offsets":[0,%d]`, big)), 1)
	wellFormed := append(binary.LittleEndian.AppendUint64(nil, uint64(len(h))), h...)
	for _, c := range []struct {
		name string
		path string
		want string
	}{
		{"junk", sparseFile(t, nil, big), "not a JSON object"},
		{"header length 2^40", sparseFile(t, junkHeader(1<<40), big), "header length"},
		{"header length > MaxHeaderLen", sparseFile(t, junkHeader(safetensors.MaxHeaderLen+8), big), "header length"},
		{"header length beyond the file", sparseFile(t, junkHeader(64<<20), 1024), "header length"},
		{"tensors this optimizer lacks", sparseFile(t, wellFormed, int64(len(wellFormed))+big), "optimizer's is F32[4]"},
	} {
		o := tr.o
		if strings.Contains(c.want, "F32[4]") {
			o = small
		}
		n := allocated(func() { err = o.Load(c.path) })
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error containing %q", c.name, err, c.want)
		}
		if n > 1<<20 {
			t.Errorf("%s: refused having allocated %d bytes", c.name, n)
		}
		t.Logf("%s: %v (%d bytes allocated)", c.name, err, n)
	}
	if !bytes.Equal(before, checkpointBytes(t, tr.o)) {
		t.Fatal("a failed load changed the optimizer")
	}
	forged := bytes.Replace(wellFormed, []byte(`"step":"0"`), []byte(`"step":"1"`), 1)
	if err := small.Load(sparseFile(t, forged, int64(len(forged))+big)); err == nil || !strings.Contains(err.Error(), "header checksum") {
		t.Errorf("header digest not checked before the data is read: %v", err)
	}

	// A good checkpoint of 8 MiB of data: one buffer of the data section.
	m := newModel(3, []int{1 << 20, 1000}, true)
	o, err := NewSGD([]SGDGroup{{Params: m.params, Hyper: kernels.SGD{LR: 0.1, Momentum: 0.9}}}, WithWorkers(1))
	if err != nil {
		t.Fatal(err)
	}
	o.Step()
	p := filepath.Join(t.TempDir(), "good.safetensors")
	if err := o.Save(p); err != nil {
		t.Fatal(err)
	}
	size := fileSize(t, p)
	n := allocated(func() { err = o.Load(p) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("good checkpoint of %d bytes loaded, %d bytes allocated", size, n)
	if n > uint64(size)+uint64(size)/4 {
		t.Errorf("a checkpoint of %d bytes loaded with %d bytes allocated", size, n)
	}

	if _, err := os.Stat("/dev/zero"); err == nil {
		err := tr.o.Load("/dev/zero")
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("/dev/zero: %v", err)
		}
	}
	if err := tr.o.Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a directory: %v", err)
	}
}
