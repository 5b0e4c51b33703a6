package optim

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/descent-go/descent/internal/selfexec"
)

func TestMetadataRoundTrip(t *testing.T) {
	src := newSGDTrainer(t, 1, 1)
	src.train(t, 0, 3)
	want := map[string]string{"descent.train": `{"epoch": 4}`, "model": "ü\n", "empty": ""}
	given := maps.Clone(want)
	if err := src.o.SetMetadata(given); err != nil {
		t.Fatal(err)
	}
	given["model"] = "changed after SetMetadata" // SetMetadata copies
	if got := src.o.Metadata(); !maps.Equal(got, want) {
		t.Fatalf("Metadata() = %q, want %q", got, want)
	}
	path := filepath.Join(t.TempDir(), "ck")
	if err := src.o.Save(path); err != nil {
		t.Fatal(err)
	}
	got, err := ReadMetadata(path)
	if err != nil || !maps.Equal(got, want) {
		t.Fatalf("ReadMetadata = %q, %v; want %q", got, err, want)
	}
	dst := newSGDTrainer(t, 2, 1)
	if err := dst.o.SetMetadata(map[string]string{"other": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := dst.o.Load(path); err != nil {
		t.Fatal(err)
	}
	if got := dst.o.Metadata(); !maps.Equal(got, want) {
		t.Fatalf("after Load: %q, want %q", got, want)
	}
	sameState(t, src.o, dst.o)
	ck, err := ReadCheckpoint(bytes.NewReader(checkpointBytes(t, src.o)))
	if err != nil || !maps.Equal(ck.Metadata(), want) {
		t.Fatalf("Checkpoint.Metadata = %q, %v", ck.Metadata(), err)
	}
	// Clearing it: a checkpoint without caller metadata restores none.
	if err := src.o.SetMetadata(nil); err != nil || src.o.Metadata() != nil {
		t.Fatalf("SetMetadata(nil): %v %q", err, src.o.Metadata())
	}
	if err := src.o.Save(path); err != nil {
		t.Fatal(err)
	}
	if err := dst.o.Load(path); err != nil || dst.o.Metadata() != nil {
		t.Fatalf("load without metadata: %v, %q", err, dst.o.Metadata())
	}
	if got, err := ReadMetadata(path); err != nil || got != nil {
		t.Fatalf("ReadMetadata without metadata: %q, %v", got, err)
	}
	if _, err := ReadMetadata(filepath.Dir(path)); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("ReadMetadata of a directory: %v", err)
	}
}

func TestMetadataInvalid(t *testing.T) {
	tr := newSGDTrainer(t, 1, 1)
	good := map[string]string{"a": "b"}
	if err := tr.o.SetMetadata(good); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    map[string]string
		want string
	}{
		{map[string]string{"": "x"}, "empty key"},
		{map[string]string{strings.Repeat("k", MaxMetadataKeyLen+1): "x"}, "bytes long"},
		{map[string]string{"a\xffb": "x"}, "not valid UTF-8"},
		{map[string]string{"a\nb": "x"}, "control character"},
		{map[string]string{"k": "\xc3"}, "not valid UTF-8"},
		{map[string]string{"a": strings.Repeat("v", MaxMetadataBytes/2), "b": strings.Repeat("v", MaxMetadataBytes/2)}, "more than"},
	} {
		err := tr.o.SetMetadata(c.m)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SetMetadata(%.60q): %v, want %q", c.m, err, c.want)
		}
		if !maps.Equal(tr.o.Metadata(), good) {
			t.Errorf("a refused SetMetadata changed the metadata to %.60q", tr.o.Metadata())
		}
		// The same in a checkpoint whose checksums are valid: refused at
		// load, nothing changed.
		src := newSGDTrainer(t, 3, 1)
		src.o.c.meta = c.m
		want := c.want
		if want == "not valid UTF-8" {
			want = "" // JSON cannot hold it: the writer's replacement characters break the checksum
		}
		expectNoChange(t, tr, checkpointBytes(t, src.o), want)
		if !maps.Equal(tr.o.Metadata(), good) {
			t.Errorf("a refused load changed the metadata to %.60q", tr.o.Metadata())
		}
	}
	// The header checksum covers the caller metadata.
	src := newSGDTrainer(t, 3, 1)
	if err := src.o.SetMetadata(map[string]string{"epoch": "4"}); err != nil {
		t.Fatal(err)
	}
	b := checkpointBytes(t, src.o)
	i := bytes.Index(b, []byte(`"user.epoch":"4"`))
	if i < 0 {
		t.Fatalf("no user.epoch in the header: %.300s", b)
	}
	b[i+len(`"user.epoch":"`)] = '5'
	expectNoChange(t, tr, b, "header checksum mismatch")
}

// A crashed Save's temporary file is removed by the next Save when its
// process is gone, or when it is older than StaleTempAge; a live
// process's is kept.
func TestSaveRemovesStaleTemps(t *testing.T) {
	tr := newSGDTrainer(t, 1, 1)
	dir := t.TempDir()
	path := filepath.Join(dir, "run.ck")
	if err := tr.o.Save(path); err != nil {
		t.Fatal(err)
	}
	cmd := selfexec.Command("-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.Process.Pid
	prefix := tempPrefix(path) + hostTag() + "-"
	files := map[string]bool{ // name → removed by the next Save
		prefix + strconv.Itoa(dead) + "-123":         true,  // this host, process gone
		prefix + strconv.Itoa(os.Getpid()) + "-456":  false, // this process: a concurrent Save
		prefix + strconv.Itoa(os.Getppid()) + "-789": false, // a live process
		tempPrefix(path) + "0badc0de-1-42":           false, // another host, recent
		tempPrefix(path) + "0badc0de-2-43":           true,  // another host, old
		tempPrefix(path) + "2143658709":              true,  // older naming, old
		tempPrefix(path) + "2143658790":              false, // older naming, recent
		".other.ck.tmp-" + hostTag() + "-1-1":        false, // another checkpoint's
	}
	old := time.Now().Add(-StaleTempAge - time.Hour)
	for name := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(name, "-43") || strings.HasSuffix(name, "709") {
			if err := os.Chtimes(p, old, old); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tr.o.Save(path); err != nil {
		t.Fatal(err)
	}
	for name, removed := range files {
		_, err := os.Stat(filepath.Join(dir, name))
		if gone := os.IsNotExist(err); gone != removed {
			t.Errorf("%s: removed %v, want %v", name, gone, removed)
		}
	}
	// Save's own temporary file is gone too, and it is named as above.
	ents, _ := os.ReadDir(dir)
	n := 0
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix(path)) {
			n++
		}
	}
	if want := 4; n != want {
		t.Errorf("%d temporary files left, want %d", n, want)
	}
	if p := tempPattern(path); !strings.HasPrefix(p, prefix+strconv.Itoa(os.Getpid())+"-") {
		t.Errorf("temporary name pattern %q", p)
	}
}
