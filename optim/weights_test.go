package optim

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestWeightsRoundTrip(t *testing.T) {
	tr := newAdamTrainer(t, 1, 1)
	tr.train(t, 0, 4)
	if err := tr.o.SetMetadata(map[string]string{"model": "mlp-64-128-10"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "w.safetensors")
	if err := tr.o.SaveWeights(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode: %v %v", fi, err)
	}
	// Into fresh slices of the same names and shapes, with no optimizer.
	src := tr.o.Params()
	dst := make([]Param, len(src))
	for i, p := range src {
		dst[i] = Param{Name: p.Name, Shape: p.Shape}
		if p.Data32 != nil {
			dst[i].Data32 = make([]float32, len(p.Data32))
		} else {
			dst[i].Data64 = make([]float64, len(p.Data64))
		}
	}
	meta, err := LoadWeights(path, dst)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(meta, map[string]string{"model": "mlp-64-128-10"}) {
		t.Errorf("metadata %q", meta)
	}
	for i := range src {
		if !slices.Equal(src[i].Data32, dst[i].Data32) || !slices.Equal(src[i].Data64, dst[i].Data64) {
			t.Fatalf("parameter %q differs after the round trip", src[i].Name)
		}
	}
	// A weights file is no checkpoint, and the reverse.
	if err := tr.o.Load(path); err == nil || !strings.Contains(err.Error(), "format") {
		t.Errorf("Load of a weights file: %v", err)
	}
	ck := filepath.Join(t.TempDir(), "ck")
	if err := tr.o.Save(ck); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadWeights(ck, dst); err == nil || !strings.Contains(err.Error(), "Optimizer.Load") {
		t.Errorf("LoadWeights of a checkpoint: %v", err)
	}
	// Mismatches are refused before anything changes.
	before := slices.Clone(dst[0].Data32)
	bad := slices.Clone(dst)
	for i := range bad {
		if len(bad[i].Shape) == 2 {
			bad[i].Shape = []int{bad[i].Len()} // flat instead of the matrix
		}
	}
	for _, c := range []struct {
		ps   []Param
		want string
	}{
		{dst[:len(dst)-1], "has a tensor"},
		{append(slices.Clone(dst), Param{Name: "extra", Data32: []float32{1}}), "no tensor \"extra\""},
		{bad, "weights tensor"},
		{append(slices.Clone(dst[:1]), dst[0]), "duplicate parameter name"},
	} {
		if _, err := LoadWeights(path, c.ps); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
	// A flipped data byte fails the checksum; nothing is copied.
	b, _ := os.ReadFile(path)
	b[len(b)-1] ^= 1
	os.WriteFile(path, b, 0o600)
	if _, err := LoadWeights(path, dst); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("corrupt file: %v", err)
	}
	if !slices.Equal(before, dst[0].Data32) {
		t.Error("a failed load changed a parameter")
	}
	if err := SaveWeights(path, []Param{{Name: "x"}}, nil); err == nil || !strings.Contains(err.Error(), "exactly one") {
		t.Errorf("SaveWeights without data: %v", err)
	}
}
