package optim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/safetensors"
)

// decaying is a Stateful test schedule: the rate is base·factor^cuts, and
// ObserveLoss cuts it when the loss does not improve.
type decaying struct {
	best float64
	cuts int
}

func (d *decaying) LR(step int, base float64) float64 {
	return base * math.Pow(0.5, float64(d.cuts)) / (1 + 0.01*float64(step))
}

func (d *decaying) ObserveLoss(loss float64) {
	if loss < d.best {
		d.best = loss
		return
	}
	d.cuts++
}

func (d *decaying) State() map[string]float64 {
	return map[string]float64{"best": d.best, "cuts": float64(d.cuts)}
}

func (d *decaying) SetState(m map[string]float64) error {
	b, ok1 := m["best"]
	c, ok2 := m["cuts"]
	if !ok1 || !ok2 || len(m) != 2 || c < 0 || c != math.Trunc(c) {
		return fmt.Errorf("decaying: bad state %v", m)
	}
	d.best, d.cuts = b, int(c)
	return nil
}

// trainer is a model with its optimizer.
type trainer struct {
	m *model
	o *Optimizer
}

// newAdamTrainer builds two Adam groups (AMSGrad+schedule, AdamW) over
// mixed-dtype tensors, with a loss scaler and clipping.
func newAdamTrainer(t *testing.T, seed uint64, workers int) *trainer {
	t.Helper()
	m := newModel(seed, []int{1, 33, 1000, ChunkElems + 100, 5}, true)
	m.params[2].Shape = []int{10, 100}
	h := kernels.DefaultAdam()
	h.AMSGrad, h.WeightDecay = true, 0.01
	o, err := NewAdam([]AdamGroup{
		{Params: m.params[:3], Hyper: h, Schedule: &decaying{best: math.Inf(1)}},
		{Params: m.params[3:], Hyper: kernels.DefaultAdamW()},
	}, WithLossScaler(ScalerConfig{InitScale: 256, GrowthFactor: 2, BackoffFactor: 0.5, GrowthInterval: 3}), WithClipNorm(30), WithWorkers(workers))
	if err != nil {
		t.Fatal(err)
	}
	return &trainer{m, o}
}

func newSGDTrainer(t *testing.T, seed uint64, workers int) *trainer {
	t.Helper()
	m := newModel(seed, []int{1, 33, 1000, ChunkElems + 100}, true)
	o, err := NewSGD([]SGDGroup{
		{Params: m.params[:2], Hyper: kernels.SGD{LR: 0.1, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4}, Schedule: &decaying{best: math.Inf(1)}},
		{Params: m.params[2:3], Hyper: kernels.SGD{LR: 0.05}},
		{Params: m.params[3:], Hyper: kernels.SGD{LR: 0.05, Momentum: 0.5, Dampening: 0.5}},
	}, WithClipValue(1.5), WithWorkers(workers))
	if err != nil {
		t.Fatal(err)
	}
	return &trainer{m, o}
}

// train runs steps iterations with gradients from gen (seeded by the
// iteration number, so two trainers can be fed the same ones); every 5th
// iteration has an Inf gradient, and the loss fed to the schedule
// alternates.
func (tr *trainer) train(t *testing.T, from, to int) {
	t.Helper()
	for it := from; it < to; it++ {
		tr.m.rng = rand.New(rand.NewPCG(uint64(it), 7))
		tr.m.fillGrads(tr.o.Scale())
		if it%5 == 4 && tr.o.c.scaler != nil {
			tr.m.params[0].Grad32[0] = float32(math.Inf(-1))
		}
		if _, err := tr.o.Step(); err != nil {
			t.Fatal(err)
		}
		tr.o.ObserveLoss(float64(it % 3))
	}
}

func sameState(t *testing.T, a, b *Optimizer) {
	t.Helper()
	var wa, wb bytes.Buffer
	if _, err := a.WriteTo(&wa); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteTo(&wb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(wa.Bytes(), wb.Bytes()) {
		t.Fatal("optimizer states differ")
	}
}

func TestCheckpointRoundTrip(t *testing.T) {
	for name, mk := range map[string]func(*testing.T, uint64, int) *trainer{"adam": newAdamTrainer, "sgd": newSGDTrainer} {
		t.Run(name, func(t *testing.T) {
			const n1, n2 = 12, 9
			full := mk(t, 1, 2)
			full.train(t, 0, n1+n2)

			first := mk(t, 1, 1)
			first.train(t, 0, n1)
			path := filepath.Join(t.TempDir(), "ck.safetensors")
			if err := first.o.Save(path); err != nil {
				t.Fatal(err)
			}
			resumed := mk(t, 99, 3) // other initial values, other worker count
			if err := resumed.o.Load(path); err != nil {
				t.Fatal(err)
			}
			sameState(t, first.o, resumed.o)
			resumed.train(t, n1, n1+n2)
			sameBits(t, "resumed vs uninterrupted", full.m, resumed.m)
			sameState(t, full.o, resumed.o)
			if full.o.StepCount() != resumed.o.StepCount() || full.o.Scale() != resumed.o.Scale() {
				t.Fatalf("step %d/%d scale %v/%v", full.o.StepCount(), resumed.o.StepCount(), full.o.Scale(), resumed.o.Scale())
			}
			t.Logf("%s: %d+%d steps (%d taken), checkpoint %d bytes; resumed run bit-identical", name, n1, n2, full.o.StepCount(), fileSize(t, path))
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Fatalf("temporary files left: %v", entries)
			}
		})
	}
}

func fileSize(t *testing.T, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func checkpointBytes(t *testing.T, o *Optimizer) []byte {
	var b bytes.Buffer
	if _, err := o.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// expectNoChange fails unless loading b into tr's optimizer fails with an
// error containing want and leaves everything as it was.
func expectNoChange(t *testing.T, tr *trainer, b []byte, want string) {
	t.Helper()
	before := checkpointBytes(t, tr.o)
	var err error
	ck, err := ReadCheckpoint(bytes.NewReader(b))
	if err == nil {
		err = tr.o.Restore(ck)
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want an error containing %q", err, want)
	}
	if !bytes.Equal(before, checkpointBytes(t, tr.o)) {
		t.Fatal("a failed load changed the optimizer")
	}
}

func TestCheckpointTruncatedAndCorrupt(t *testing.T) {
	src := newAdamTrainer(t, 1, 1)
	src.train(t, 0, 3)
	good := checkpointBytes(t, src.o)
	dst := newAdamTrainer(t, 2, 1)
	dst.train(t, 0, 1)
	hlen := int(binary.LittleEndian.Uint64(good))
	for _, n := range []int{0, 1, 7, 8, 9, 8 + hlen/2, 8 + hlen, 8 + hlen + 1, len(good) - 1} {
		expectNoChange(t, dst, good[:n], "")
	}
	// A flipped bit in the data, in a metadata value, in the header length.
	for _, c := range []struct {
		at   int
		want string
	}{
		{len(good) - 3, "data checksum"},
		{8 + strings.Index(string(good[8:8+hlen]), `"step":"`) + 8, "header checksum"},
		{5, "header length"},
	} {
		b := bytes.Clone(good)
		b[c.at] ^= 4
		expectNoChange(t, dst, b, c.want)
	}
	// The good file loads.
	ck, err := ReadCheckpoint(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.o.Restore(ck); err != nil {
		t.Fatal(err)
	}
	sameState(t, src.o, dst.o)
}

func TestCheckpointMismatch(t *testing.T) {
	src := newAdamTrainer(t, 1, 1)
	src.train(t, 0, 2)
	good := checkpointBytes(t, src.o)

	mk := func(sizes []int, mixed bool, h kernels.Adam, rename bool) *trainer {
		m := newModel(5, sizes, mixed)
		m.params[2].Shape = []int{10, 100}
		if rename {
			m.params[0].Name = "other"
		}
		o, err := NewAdam([]AdamGroup{{Params: m.params[:3], Hyper: h, Schedule: &decaying{}}, {Params: m.params[3:], Hyper: kernels.DefaultAdamW()}},
			WithLossScaler(DefaultScaler()))
		if err != nil {
			t.Fatal(err)
		}
		return &trainer{m, o}
	}
	ams := kernels.DefaultAdam()
	ams.AMSGrad = true
	sizes := []int{1, 33, 1000, ChunkElems + 100, 5}
	expectNoChange(t, mk(sizes, true, ams, true), good, "parameters")
	expectNoChange(t, mk([]int{1, 33, 1000, ChunkElems + 100, 6}, true, ams, false), good, "optimizer's is F32[6]")
	expectNoChange(t, mk(sizes, false, ams, false), good, "F64")
	expectNoChange(t, mk(sizes, true, kernels.DefaultAdam(), false), good, "amsgrad")
	shapeOK := mk(sizes, true, ams, false)
	shapeOK.m.params[2].Shape = nil // [1000], checkpoint has [10 100]
	o, err := NewAdam([]AdamGroup{{Params: shapeOK.m.params[:3], Hyper: ams, Schedule: &decaying{}}, {Params: shapeOK.m.params[3:], Hyper: kernels.DefaultAdamW()}}, WithLossScaler(DefaultScaler()))
	if err != nil {
		t.Fatal(err)
	}
	expectNoChange(t, &trainer{shapeOK.m, o}, good, "[10 100]")
	// Right layout, but the schedule refuses the state: nothing changes.
	refusing := mk(sizes, true, ams, false)
	refusing.o.c.groups[0].sched = &refuser{}
	expectNoChange(t, refusing, good, "refused")

	s := newSGDTrainer(t, 1, 1)
	expectNoChange(t, s, good, "adam optimizer")
}

type refuser struct{ decaying }

func (*refuser) SetState(map[string]float64) error { return errors.New("refused") }

func TestSaveErrors(t *testing.T) {
	tr := newSGDTrainer(t, 1, 1)
	if err := tr.o.Save(filepath.Join(t.TempDir(), "missing", "ck")); err == nil {
		t.Fatal("saved into a missing directory")
	}
	if err := tr.o.Load(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("loaded a missing file")
	}
}

func le64(n int) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(n)) }

func st(header string, data []byte) []byte {
	return append(append(le64(len(header)), header...), data...)
}

func TestCheckpointLayout(t *testing.T) {
	tr := newSGDTrainer(t, 1, 1)
	tr.train(t, 0, 2)
	b := checkpointBytes(t, tr.o)
	if hl := binary.LittleEndian.Uint64(b); hl%8 != 0 {
		t.Errorf("header length %d not a multiple of 8", hl)
	}
	s, err := safetensors.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range s.Tensors {
		names = append(names, x.Name+":"+x.Dtype)
	}
	want := "layer0.weight:F32 layer0.weight.momentum_buffer:F32 layer1.weight:F64 layer1.weight.momentum_buffer:F64 layer2.weight:F32 layer3.weight:F64 layer3.weight.momentum_buffer:F64"
	if strings.Join(names, " ") != want {
		t.Errorf("tensors %v", names)
	}
	for k, v := range map[string]string{"kind": "sgd", "step": "2", "group.0.nesterov": "true", "group.2.dampening": "0.5",
		"group.0.schedule_state": "1", "group.0.schedule.best": "0", "group.1.params": `["layer2.weight"]`} {
		if s.Metadata[k] != v {
			t.Errorf("metadata %q = %q, want %q", k, s.Metadata[k], v)
		}
	}
}
