package optim_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/descent-go/descent/kernels"
	"github.com/descent-go/descent/optim"
	"github.com/descent-go/descent/optim/schedule"
)

var updatePortable = flag.Bool("update-portable", false, "rewrite testdata/portable.golden (on amd64)")

// TestPortableTrajectory runs optimizers with schedules, clipping and a loss
// scaler for 40 steps on gradients made exactly from integers, hashes every
// parameter's bits, and compares with testdata/portable.golden, written on
// amd64. Under qemu (make test-arm64) it checks that the whole optimizer
// layer — step scalars, schedules, clipping norms, the scaler and the NEON
// kernels — gives the same bits on arm64 as on amd64.
func TestPortableTrajectory(t *testing.T) {
	var lines []string
	for _, c := range []struct {
		name  string
		build func(ps []optim.Param) (*optim.Optimizer, error)
	}{
		{"adamw-warmup-cosine-clip", func(ps []optim.Param) (*optim.Optimizer, error) {
			cos, err := schedule.NewCosine(40, 1e-5)
			if err != nil {
				return nil, err
			}
			w, err := schedule.NewWarmup(cos, 5, 0.1)
			if err != nil {
				return nil, err
			}
			h := kernels.DefaultAdamW()
			h.LR, h.AMSGrad = 3e-3, true
			return optim.NewAdam([]optim.AdamGroup{{Params: ps, Hyper: h, Schedule: w}}, optim.WithClipNorm(0.5), optim.WithWorkers(3))
		}},
		{"adam-l2-onecycle-scaler", func(ps []optim.Param) (*optim.Optimizer, error) {
			oc, err := schedule.NewOneCycle(schedule.DefaultOneCycle(1e-2, 40))
			if err != nil {
				return nil, err
			}
			h := kernels.DefaultAdam()
			h.WeightDecay = 0.01
			return optim.NewAdam([]optim.AdamGroup{{Params: ps, Hyper: h, Schedule: oc}}, optim.WithLossScaler(optim.DefaultScaler()))
		}},
		{"nesterov-step-clipvalue", func(ps []optim.Param) (*optim.Optimizer, error) {
			st, err := schedule.NewStep(7, 0.7)
			if err != nil {
				return nil, err
			}
			h := kernels.SGD{LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-3}
			return optim.NewSGD([]optim.SGDGroup{{Params: ps, Hyper: h, Schedule: st}}, optim.WithClipValue(0.3))
		}},
	} {
		const n32, n64 = 100003, 777
		p32, g32 := make([]float32, n32), make([]float32, n32)
		p64, g64 := make([]float64, n64), make([]float64, n64)
		for i := range p32 {
			p32[i] = float32(i%97-48) / 64
		}
		for i := range p64 {
			p64[i] = float64(i%89-44) / 32
		}
		opt, err := c.build([]optim.Param{optim.Float32("w", p32, g32), optim.Float64("b", p64, g64)})
		if err != nil {
			t.Fatal(err)
		}
		for step := 0; step < 40; step++ {
			scale := 1.0
			if s := opt.Scale(); s > 0 && !math.IsNaN(s) {
				scale = s
			}
			for i := range g32 {
				g32[i] = float32(float64((i*7+step*13)%101-50)/128) * float32(scale)
			}
			for i := range g64 {
				g64[i] = float64((i*5+step*11)%83-41) / 64 * scale
			}
			if step == 17 && c.name == "adam-l2-onecycle-scaler" {
				g32[5] = float32(math.Inf(1)) // one skipped step
			}
			if _, err := opt.Step(); err != nil {
				t.Fatalf("%s step %d: %v", c.name, step, err)
			}
		}
		opt.Close()
		h := sha256.New()
		for _, x := range p32 {
			binary.Write(h, binary.LittleEndian, math.Float32bits(x))
		}
		for _, x := range p64 {
			binary.Write(h, binary.LittleEndian, math.Float64bits(x))
		}
		lines = append(lines, c.name+" "+hex.EncodeToString(h.Sum(nil)))
	}
	got := strings.Join(lines, "\n") + "\n"
	const golden = "testdata/portable.golden"
	if *updatePortable {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("parameter bits differ from %s (written on amd64):\ngot:\n%swant:\n%s", golden, got, want)
	}
}
