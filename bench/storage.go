package bench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/descent-go/descent/kernels"
)

// Storage benchmarks: one update rule over parameters, gradients and state
// stored in the formats of kernels' mixed steps (kernels.Mixed), against
// the same rule in float32.

// Storage is a storage configuration of an update.
type Storage struct {
	Name string // "f32", "bf16-master", "8bit", "8bit-bf16"
	Doc  string
	Half bool // 16-bit (bfloat16) parameters and gradients with float32 master weights
	Q8   bool // 8-bit state
}

// Storages lists the configurations measured.
var Storages = []Storage{
	{"f32", "float32 parameters, gradients and state", false, false},
	{"bf16-master", "bfloat16 parameters and gradients, float32 master weights and state", true, false},
	{"8bit", "float32 parameters and gradients, 8-bit state", false, true},
	{"8bit-bf16", "bfloat16 parameters and gradients, float32 master weights, 8-bit state", true, true},
}

// StorageKernels are the rules the storage benchmarks run.
var StorageKernels = []string{"Adam", "Lion"}

// StorageCase is one storage benchmark: a rule, a storage and a length.
type StorageCase struct {
	Kernel  string
	Storage Storage
	N       int
}

// Name is the case's benchmark name below the kernel: <storage>/n=<N>.
func (c StorageCase) Name() string { return fmt.Sprintf("%s/n=%d", c.Storage.Name, c.N) }

// StorageCases lists every rule × storage × size.
func StorageCases(sizes []int) []StorageCase {
	var cs []StorageCase
	for _, k := range StorageKernels {
		for _, s := range Storages {
			for _, n := range sizes {
				cs = append(cs, StorageCase{k, s, n})
			}
		}
	}
	return cs
}

// BytesPerElem is the memory a step must move per element: the gradient
// read, the parameters (or master weights) read and written, the 16-bit
// copy written, and each state tensor read and written (8-bit codes plus
// one float32 maximum per 256 elements).
func (c StorageCase) BytesPerElem() float64 {
	states := c.states()
	b := 8.0 // float32 parameters or master weights, read and written
	if c.Storage.Half {
		b += 2 + 2 // bfloat16 gradient read, bfloat16 copy written
	} else {
		b += 4 // float32 gradient read
	}
	if c.Storage.Q8 {
		b += states * 2 * (1 + 4.0/kernels.Q8Block)
	} else {
		b += states * 2 * 4
	}
	return b
}

// StateBytesPerParam is the memory the optimizer keeps per parameter
// besides the parameters the model reads: master weights and state.
func (c StorageCase) StateBytesPerParam() float64 {
	states := c.states()
	b := 0.0
	if c.Storage.Half {
		b += 4 // master weights
	}
	if c.Storage.Q8 {
		return b + states*(1+4.0/kernels.Q8Block)
	}
	return b + states*4
}

// states is the number of state tensors of the case's rule: Adam's m and
// v, Lion's m.
func (c StorageCase) states() float64 {
	if c.Kernel == "Lion" {
		return 1
	}
	return 2
}

// storageData is one case's tensors.
type storageData struct {
	x    kernels.Mixed[float32]
	m, v *kernels.Q8
}

func newStorageData(c StorageCase) *storageData {
	r := rand.New(rand.NewPCG(1, uint64(c.N)))
	d := &storageData{}
	n := c.N
	p := make([]float32, n)
	for i := range p {
		p[i] = float32(r.NormFloat64())
	}
	d.x.P = p
	if c.Storage.Half {
		d.x.Copy, d.x.CopyFormat = make([]uint16, n), kernels.BF16
		g := make([]uint16, n)
		for i := range g {
			g[i] = kernels.ToBF16(float32(r.NormFloat64()))
		}
		d.x.G16, d.x.GFormat = g, kernels.BF16
	} else {
		g := make([]float32, n)
		for i := range g {
			g[i] = float32(r.NormFloat64())
		}
		d.x.G = g
	}
	maps := []kernels.Q8Map{kernels.Q8Signed, kernels.Q8Unsigned}
	for i := range int(c.states()) {
		if c.Storage.Q8 {
			q := kernels.NewQ8(maps[i], n)
			d.x.State = append(d.x.State, kernels.State[float32]{Q: &q})
		} else {
			d.x.State = append(d.x.State, kernels.State[float32]{Native: make([]float32, n)})
		}
	}
	if err := d.x.Check(c.Kernel); err != nil {
		panic("bench: " + err.Error())
	}
	return d
}

// calls returns, for each of parts goroutines, a function that steps its
// share of the elements (shares cut at multiples of the quantization
// block), each with its own scratch.
func (c StorageCase) calls(parts int) []func() {
	d := newStorageData(c)
	adam := kernels.DefaultAdam().Scalars(10, 1)
	lion := kernels.DefaultLion().Scalars(1)
	fs := make([]func(), parts)
	blocks := kernels.Q8Blocks(c.N)
	for j := range fs {
		lo, hi := min(c.N, j*blocks/parts*kernels.Q8Block), min(c.N, (j+1)*blocks/parts*kernels.Q8Block)
		sc := new(kernels.Scratch)
		if c.Kernel == "Lion" {
			fs[j] = func() { kernels.LionStepMixed(&d.x, lo, hi, sc, &lion) }
		} else {
			fs[j] = func() { kernels.AdamStepMixed(&d.x, lo, hi, sc, &adam) }
		}
	}
	return fs
}

// MeasureStorage times the case on threads goroutines for at least
// minTime (the best of three rounds), with the implementation in use.
func MeasureStorage(c StorageCase, threads int, minTime time.Duration) Result {
	ns := timeParallel(c.calls(threads), minTime)
	return Result{
		Kernel: c.Kernel, DType: c.Storage.Name, N: c.N, Impl: ImplName(kernels.Impl()), Threads: threads,
		NsPerOp:  ns,
		ElemsSec: float64(c.N) / ns * 1e9,
		BytesSec: c.BytesPerElem() * float64(c.N) / ns * 1e9,
	}
}
