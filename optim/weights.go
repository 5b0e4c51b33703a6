package optim

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/descent-go/descent/safetensors"
)

// Weights files hold parameters alone — no optimizer state, step count or
// hyper-parameters — for serving, or to start a new run from trained
// weights: a safetensors file with one tensor per parameter (its name,
// dtype F32 or F64, and shape) and the metadata
//
//	format, format_version    "descent.weights", "1"
//	user.<key>                caller metadata (as in checkpoints)
//	sha256                    SHA-256 of the data section, hex
//
// It is plain safetensors, for any reader of the format; SaveWeights
// writes it as atomically as Optimizer.Save, and LoadWeights checks it as
// strictly as Load.
const (
	weightsFormat  = "descent.weights"
	weightsVersion = "1"
)

// SaveWeights writes the data of params (Data32, Data64, or Data16 as BF16
// or F16 tensors; gradients are
// not read) to path as a weights file, with the caller metadata meta
// (see SetMetadata for its rules; nil for none). Names must be valid and
// distinct, and a Shape, when set, must match the data's length. The file
// is written as Optimizer.Save writes a checkpoint: a temporary file
// renamed into place, new files 0600, links followed.
func SaveWeights(path string, params []Param, meta map[string]string) error {
	if err := checkWeights(params); err != nil {
		return err
	}
	if err := CheckMetadata(meta); err != nil {
		return err
	}
	return writeAtomic(path, "saving weights", func(w io.Writer) error {
		_, err := writeWeights(w, params, meta)
		return err
	})
}

// SaveWeights writes the optimizer's parameters, with its caller metadata
// (SetMetadata), to path as a weights file (see the function SaveWeights).
func (o *Optimizer) SaveWeights(path string) error {
	return SaveWeights(path, o.Params(), o.c.meta)
}

// Params returns the optimizer's parameters, in order, embedding tables
// included (their data only: a table's gradient is row-sparse, not a
// slice). They are copies of the Param values; the slices are the
// caller's own.
func (o *Optimizer) Params() []Param {
	ps := make([]Param, len(o.c.tensors))
	for i, t := range o.c.tensors {
		ps[i] = t.param()
	}
	return ps
}

func writeWeights(w io.Writer, params []Param, meta map[string]string) (int64, error) {
	ts := make([]safetensors.Out, len(params))
	for i, p := range params {
		switch {
		case p.Data32 != nil:
			ts[i] = safetensors.Of(p.Name, p.shape(), p.Data32)
		case p.Data16 != nil:
			ts[i] = safetensors.OfHalf(p.Name, p.shape(), p.Dtype().String(), p.Data16)
		default:
			ts[i] = safetensors.Of(p.Name, p.shape(), p.Data64)
		}
	}
	m := map[string]string{"format": weightsFormat, "format_version": weightsVersion}
	for k, v := range meta {
		m[userPrefix+k] = v
	}
	h := sha256.New()
	buf := make([]byte, safetensors.BufSize(ts))
	for i := range ts {
		ts[i].Encode(buf, func(p []byte) error { h.Write(p); return nil })
	}
	m["sha256"] = hex.EncodeToString(h.Sum(nil))
	return safetensors.Write(w, m, ts)
}

// checkWeights validates parameters to save or load weights into.
func checkWeights(params []Param) error {
	seen := make(map[string]bool, len(params))
	for i := range params {
		p := &params[i]
		if err := ValidName(p.Name); err != nil {
			return err
		}
		if seen[p.Name] {
			return fmt.Errorf("optim: duplicate parameter name %q", p.Name)
		}
		seen[p.Name] = true
		if n := btoi(p.Data32 != nil) + btoi(p.Data64 != nil) + btoi(p.Data16 != nil); n != 1 || p.Data16 != nil && p.Dtype() == 0 {
			return fmt.Errorf("optim: parameter %q: set exactly one of Data32, Data64 and Data16 (with Half)", p.Name)
		}
		if err := p.checkShape(); err != nil {
			return err
		}
	}
	return nil
}

// LoadWeights reads the weights file at path into params' data (Data32 or
// Data64) and returns its caller metadata. The file must hold exactly the
// parameters' tensors, by name, with their dtypes and shapes (a Param
// without Shape is one-dimensional). Like Load it refuses a path that is
// not a regular file, checks the header against the file's length before
// reading the data, and verifies the data's checksum before copying
// anything: on error no parameter has changed.
func LoadWeights(path string, params []Param) (map[string]string, error) {
	if err := checkWeights(params); err != nil {
		return nil, err
	}
	f, err := openRegular(path)
	if err != nil {
		return nil, fmt.Errorf("optim: loading weights: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("optim: loading weights: %w", err)
	}
	st, err := safetensors.ReadHeader(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("optim: weights: %w", err)
	}
	if st.Metadata["format"] != weightsFormat || st.Metadata["format_version"] != weightsVersion {
		return nil, fmt.Errorf("optim: weights: format %q version %q, want %q %q (a checkpoint is loaded with Optimizer.Load)",
			st.Metadata["format"], st.Metadata["format_version"], weightsFormat, weightsVersion)
	}
	meta, err := userMetadata(st.Metadata)
	if err != nil {
		return nil, err
	}
	if len(st.Tensors) != len(params) {
		names := make(map[string]bool, len(params))
		for _, p := range params {
			names[p.Name] = true
		}
		for _, t := range st.Tensors {
			if !names[t.Name] {
				return nil, fmt.Errorf("optim: weights file has a tensor %q the parameters do not", t.Name)
			}
		}
	}
	src := make([]*safetensors.Tensor, len(params))
	for i := range params {
		p := &params[i]
		t, ok := st.Tensor(p.Name)
		if !ok {
			return nil, fmt.Errorf("optim: weights file has no tensor %q", p.Name)
		}
		dt := p.Dtype().String()
		if t.Dtype != dt || !slices.Equal(t.Shape, p.shape()) {
			return nil, fmt.Errorf("optim: weights tensor %q is %s%v, the parameter %s%v", p.Name, t.Dtype, t.Shape, dt, p.shape())
		}
		src[i] = t
	}
	if err := st.ReadData(f); err != nil {
		return nil, fmt.Errorf("optim: weights: %w", err)
	}
	sum := sha256.Sum256(st.Data)
	if want := st.Metadata["sha256"]; hex.EncodeToString(sum[:]) != want {
		return nil, fmt.Errorf("optim: weights: data checksum mismatch (corrupt file): sha256 %x, metadata says %q", sum, want)
	}
	for i := range params {
		switch p := &params[i]; {
		case p.Data32 != nil:
			safetensors.Decode(p.Data32, src[i].Data)
		case p.Data16 != nil:
			safetensors.DecodeU16(p.Data16, src[i].Data)
		default:
			safetensors.Decode(p.Data64, src[i].Data)
		}
	}
	return maps.Clone(meta), nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
