// Command seedgen writes the seed corpus of package fuzz in Go's corpus
// file format ("go test fuzz v1"), one directory per target:
//
//	go run ./fuzz/internal/seedgen -dir fuzz/testdata/fuzz
//
// The seeds cover slice lengths around every unroll boundary of the AVX2
// and NEON loops (vectors of 8/4 float32 and 4/2 float64, unrolled up to
// four times; reduction blocks of 32 and 16) at several offsets, special
// values (±0, subnormals, near-overflow, ±Inf, NaNs with payloads), and
// extreme hyper-parameters, including raw scalar fields. It removes and
// rewrites only files named seed-*; inputs found by fuzzing, named by
// their hash, are left alone.
//
// The argument lists must match the targets' f.Fuzz functions; the decoding
// of data is package fuzz's value function.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	dir := flag.String("dir", "fuzz/testdata/fuzz", "corpus root (one directory per target)")
	flag.Parse()
	for _, tg := range targets() {
		d := filepath.Join(*dir, tg.name)
		if err := os.MkdirAll(d, 0o755); err != nil {
			log.Fatal(err)
		}
		old, _ := filepath.Glob(filepath.Join(d, "seed-*"))
		for _, f := range old {
			if err := os.Remove(f); err != nil {
				log.Fatal(err)
			}
		}
		for _, s := range tg.seeds {
			if err := os.WriteFile(filepath.Join(d, "seed-"+s.name), encode(s.args), 0o644); err != nil {
				log.Fatal(err)
			}
		}
		fmt.Printf("%s: %d seeds\n", tg.name, len(tg.seeds))
	}
}

type seed struct {
	name string
	args []any
}

type target struct {
	name  string
	seeds []seed
}

// encode writes args as Go's fuzzing engine does (internal/fuzz's
// marshalCorpusFile).
func encode(args []any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case float64:
			if math.IsNaN(v) && math.Float64bits(v) != math.Float64bits(math.NaN()) {
				fmt.Fprintf(&b, "math.Float64frombits(0x%x)\n", math.Float64bits(v))
			} else {
				fmt.Fprintf(&b, "float64(%s)\n", strconv.FormatFloat(v, 'g', -1, 64))
			}
		case uint16, uint32:
			fmt.Fprintf(&b, "%T(%v)\n", v, v)
		default:
			panic(fmt.Sprintf("seedgen: type %T", a))
		}
	}
	b.WriteString("")
	return b.Bytes()
}

// Element encodings (package fuzz's value): a class byte k, k mod 16 the
// kind, then its payload.

func moderate(v int16, e int) []byte { // v/256 · 2^e, e in [−8, 7]
	return []byte{byte(e+8) << 4, byte(v), byte(uint16(v) >> 8)}
}

func huge(neg bool) []byte {
	s := byte(0)
	if neg {
		s = 1
	}
	return []byte{9, 0x34, 0x12, s}
}

var (
	posZero = []byte{10}
	negZero = []byte{11}
	posInf  = []byte{12}
	negInf  = []byte{0x1c}
)

func u64(k byte, x uint64) []byte {
	b := []byte{k, 0, 0, 0, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint64(b[1:], x)
	return b
}

func nan(payload uint64) []byte    { return u64(13, payload) }
func subnormal(bits uint64) []byte { return u64(14, bits) }
func rawBits(bits uint64) []byte   { return u64(15, bits) }

// specials is a cycle of special values with ordinary ones between them.
func specials(n int) []byte {
	cyc := [][]byte{
		moderate(300, 0), posZero, moderate(-77, -3), negZero, posInf, moderate(5, 7),
		negInf, nan(0x1234), nan(1 << 63), moderate(-32000, 2), nan(0x0000_0000_0040_0001), // f32 signalling payload
		subnormal(1), subnormal(0x8000_0000_0000_0003), huge(false), huge(true),
		moderate(1, -8), rawBits(0x0080_0000), rawBits(0x0010_0000_0000_0000), rawBits(0x7f7f_ffff),
		moderate(256, 0),
	}
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, cyc[i%len(cyc)]...)
	}
	return b
}

// zeros is n elements of +0 and −0 alternating; ones n elements of 1.
func zeros(n int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		if i%2 == 0 {
			b = append(b, posZero...)
		} else {
			b = append(b, negZero...)
		}
	}
	return b
}

func f64s(xs ...float64) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// lengths around every unroll boundary: 4·8 float32 / 4·4 float64 (SGD,
// Axpy, Scale), 2 vectors (Momentum), 1 vector (Adam), blocks of 32/16
// (Dot) and 16 (SumSquares), NEON's 4/2 lanes.
var lengths = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65, 100, 127, 128, 129, 257}

// offsets: all slices aligned; each at its own offset; all at 15.
var offsets = []uint32{0, 0x43215, 0xfffff}

const (
	modeMaximize  = 1 << 0
	modeDecoupled = 1 << 1 // Adam family
	modeFirst     = 1 << 1 // SGD family
	modeRawShift  = 2
)

type adamCfg struct {
	name                       string
	lr, b1, b2, eps, wd, scale float64
	step                       uint32
	mode                       uint16
	raw                        []byte
}

var adamCfgs = []adamCfg{
	{"default", 1e-3, 0.9, 0.999, 1e-8, 0, 1, 0, 0, nil},
	{"l2", 1e-2, 0.9, 0.999, 1e-8, 0.1, 1, 6, modeDecoupled, nil},
	{"max", 3e-4, 0.8, 0.99, 1e-6, 0.05, 0.5, 99, modeMaximize, nil},
	{"lr0-beta0", 0, 0, 0, 1e-8, 0, 0, 0, 0, nil},
	{"beta-near1", 1, 0.999999, 0.999999, 1e-30, 1e-40, 1e30, 1, modeDecoupled, nil},
	{"eps-underflows-f32", 1e-3, 0.9, 0.999, 1e-50, 0, 1, 0, 0, nil},
	{"step-huge", 1e-3, 0.9, 0.999, 1e-8, 0.01, 1, 1 << 31, modeDecoupled | modeMaximize, nil},
	{"scale0", 0.1, 0.5, 0.5, 1e-3, 0, 0, 2, 0, nil},
	{"beta-1ulp", 1e-3, 1 - 0x1p-53, 1 - 0x1p-53, 1e-8, 1, 1, 0, 0, nil},
	{"lr0-wd", 0, 0.9, 0.999, 1e-8, 0.5, 1, 3, modeDecoupled, nil},
	{"big-lr-wd", 10, 0.9, 0.999, 1e-8, 100, 1e-3, 0, modeDecoupled, nil},
	// Raw scalar fields (GradScale, L2, Decay, OneMinusBeta1, Beta2,
	// OneMinusBeta2, InvSqrtBC2, Eps, StepSize), selected by mode bits 2–10.
	{"raw-all", 0, 0, 0, 0, 0, 0, 0, 0x1ff << modeRawShift,
		f64s(2, 0.5, 0.9, 0.1, 0.9, 0.1, 3, 1e-8, 1e-2)},
	{"raw-nan-eps", 1e-3, 0.9, 0.999, 1e-8, 0, 1, 0, 1 << (modeRawShift + 7), f64s(math.NaN())},
	{"raw-neg-stepsize", 1e-3, 0.9, 0.999, 1e-8, 0, 1, 0, 1 << (modeRawShift + 8), f64s(-1e30)},
	{"raw-inf-scale", 1e-3, 0.9, 0.999, 1e-8, 0, 1, 0, 1 << modeRawShift, f64s(math.Inf(1))},
	{"raw-zero-eps-decay", 1e-3, 0.9, 0.999, 1e-8, 0, 1, 0, 1<<(modeRawShift+2) | 1<<(modeRawShift+7), f64s(math.Copysign(0, -1), 0)},
	{"raw-beta2-gt1", 1e-3, 0.9, 0.999, 1e-8, 0, 1, 0, 1<<(modeRawShift+4) | 1<<(modeRawShift+6), f64s(1.5, math.Inf(1))},
}

type sgdCfg struct {
	name                     string
	lr, mom, damp, wd, scale float64
	mode                     uint16
	raw                      []byte
}

var sgdCfgs = []sgdCfg{
	{"plain", 0.1, 0, 0, 0, 1, 0, nil},
	{"mom-first-wd", 0.01, 0.9, 0, 1e-4, 1, modeFirst, nil},
	{"damp-max", 0.5, 0.9, 0.3, 0.01, 1.5, modeMaximize, nil},
	{"lr0-damp1", 0, 0, 1, 0, 1, 0, nil},
	{"scale-huge", 0.05, 0.99, 0, 0.1, 1e30, modeMaximize | modeFirst, nil},
	{"scale0", 0.1, 0.9, 0, 0, 0, 0, nil},
	{"tiny-lr-huge-mom", 1e-45, 1e10, 0, 1e-40, 1e-30, 0, nil},
	{"lr0-first", 0, 0.5, 0, 0.5, 2, modeFirst, nil},
	{"mom1", 0.1, 1, 0, 0, 1, 0, nil},
	// Raw scalar fields (GradScale, L2, LR, Momentum, OneMinusDampening),
	// selected by mode bits 2–6.
	{"raw-all", 0, 0, 0, 0, 0, 0x1f << modeRawShift, f64s(-1, 0.5, 0.1, -0.9, 2)},
	{"raw-nan-lr", 0.1, 0.9, 0, 0, 1, 1 << (modeRawShift + 2), f64s(math.NaN())},
	{"raw-negzero-l2", 0.1, 0.9, 0, 0, 1, 1 << (modeRawShift + 1), f64s(math.Copysign(0, -1))},
	{"raw-inf-mom", 0.1, 0.9, 0, 0, 1, 1 << (modeRawShift + 3), f64s(math.Inf(-1))},
}

var axpyScalars = []float64{0, math.Copysign(0, -1), 1, -1, 2.5, 1e-3, math.Inf(1), math.Inf(-1), math.NaN(), 1e30, 1e300, 5e-324, 1e-45, -3}

// elems is the number of slices a target's data describes.
func elems(family string) int {
	switch family {
	case "SGD", "Dot", "Axpy":
		return 2
	case "Momentum", "Nesterov":
		return 3
	case "Adam", "AdamW":
		return 4
	case "AMSGrad":
		return 5
	}
	return 1
}

func targets() []target {
	var ts []target
	for _, family := range []string{"SGD", "Momentum", "Nesterov", "Adam", "AdamW", "AMSGrad", "SumSquares", "Dot", "Axpy", "Scale"} {
		for _, dt := range []string{"F32", "F64"} {
			ts = append(ts, target{"Fuzz" + family + dt, seedsFor(family)})
		}
	}
	return append(ts, linearTargets()...)
}

// data variants for the length seeds: moderate pseudo-random values (no
// bytes), special values, and signed zeros.
func dataFor(variant, n, k int) (string, []byte) {
	switch variant {
	case 0:
		return "rand", nil
	case 1:
		return "special", specials(n * k)
	}
	return "zeros", zeros(n * k)
}

func seedsFor(family string) []seed {
	k := elems(family)
	var ss []seed
	i := 0
	for _, n := range lengths {
		for oi, off := range offsets {
			dv, data := dataFor((i+oi)%3, n, k)
			name := fmt.Sprintf("n%03d-off%x-%s", n, off&0xf, dv)
			args := func(cfgIdx int) (string, []any) {
				switch family {
				case "SGD", "Momentum", "Nesterov":
					c := sgdCfgs[cfgIdx%len(sgdCfgs)]
					return c.name, []any{cat(c.raw, data), uint16(n), off, c.mode, c.lr, c.mom, c.damp, c.wd, c.scale}
				case "Adam", "AdamW", "AMSGrad":
					c := adamCfgs[cfgIdx%len(adamCfgs)]
					return c.name, []any{cat(c.raw, data), uint16(n), off, c.step, c.mode, c.lr, c.b1, c.b2, c.eps, c.wd, c.scale}
				case "Axpy", "Scale":
					a := axpyScalars[cfgIdx%len(axpyScalars)]
					return "a" + strings.ReplaceAll(strconv.FormatFloat(a, 'g', 3, 64), "+", ""), []any{data, uint16(n), off, a}
				}
				return "", []any{data, uint16(n), off}
			}
			cn, a := args(i)
			if cn != "" {
				name += "-" + cn
			}
			ss = append(ss, seed{name, a})
			i++
		}
	}
	// Every configuration once more, at a length that exercises the
	// unrolled loop, a vector and a tail, with special values.
	ncfg := 0
	switch family {
	case "SGD", "Momentum", "Nesterov":
		ncfg = len(sgdCfgs)
	case "Adam", "AdamW", "AMSGrad":
		ncfg = len(adamCfgs)
	case "Axpy", "Scale":
		ncfg = len(axpyScalars)
	}
	for c := 0; c < ncfg; c++ {
		for _, dv := range []int{0, 1} {
			const n = 45
			dn, data := dataFor(dv, n, k)
			var name string
			var a []any
			switch family {
			case "SGD", "Momentum", "Nesterov":
				cf := sgdCfgs[c]
				name, a = cf.name, []any{cat(cf.raw, data), uint16(n), uint32(0x123), cf.mode, cf.lr, cf.mom, cf.damp, cf.wd, cf.scale}
			case "Adam", "AdamW", "AMSGrad":
				cf := adamCfgs[c]
				name, a = cf.name, []any{cat(cf.raw, data), uint16(n), uint32(0x1234), cf.step, cf.mode, cf.lr, cf.b1, cf.b2, cf.eps, cf.wd, cf.scale}
			case "Axpy", "Scale":
				name = fmt.Sprintf("a%d", c)
				a = []any{data, uint16(n), uint32(0x31), axpyScalars[c]}
			}
			ss = append(ss, seed{fmt.Sprintf("cfg-%s-%s", name, dn), a})
		}
	}
	if family == "SumSquares" || family == "Dot" {
		// Large values whose float64 squares overflow, long inputs.
		big := cat(huge(false), huge(true), moderate(1, 7))
		ss = append(ss,
			seed{"huge", []any{bytes.Repeat(big, 40*k), uint16(100), uint32(0x21)}},
			seed{"long", []any{[]byte(nil), uint16(4096), uint32(0x35)}},
			seed{"long-special", []any{specials(1000 * k), uint16(1000), uint32(0x7)}})
	}
	return ss
}
