package optim

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/descent-go/descent/safetensors"
)

// Caller metadata: string pairs a program keeps in its checkpoints beside
// the optimizer's own — the settings of the run, the data's name, a model
// version — so that one file, written atomically by Save, holds everything
// needed to resume (a settings file written beside the checkpoint can be
// left out of step with it by a crash between the two writes).
//
// SetMetadata sets the pairs; WriteTo and Save write each as the
// safetensors metadata entry "user.<key>", covered by the header checksum;
// Load and Restore restore them with the rest (Metadata returns them);
// ReadMetadata reads them from a file's header alone, checksum checked,
// before an optimizer to load the file into exists.
//
// Keys are 1 to MaxMetadataKeyLen bytes of UTF-8 without control
// characters; values are UTF-8 of any length; keys and values together
// are at most MaxMetadataBytes. A checkpoint whose caller metadata breaks
// these rules is refused.
const (
	MaxMetadataKeyLen = 256
	MaxMetadataBytes  = 1 << 20
)

// userPrefix starts the metadata keys of caller metadata in a checkpoint.
const userPrefix = "user."

// CheckMetadata returns an error if m is not valid caller metadata (see
// SetMetadata).
func CheckMetadata(m map[string]string) error {
	total := 0
	for _, k := range slices.Sorted(maps.Keys(m)) { // the first bad key, whatever the map's order
		v := m[k]
		switch {
		case k == "":
			return fmt.Errorf("optim: metadata: empty key")
		case len(k) > MaxMetadataKeyLen:
			return fmt.Errorf("optim: metadata: key %.40q… is %d bytes long, more than %d", k, len(k), MaxMetadataKeyLen)
		case !utf8.ValidString(k):
			return fmt.Errorf("optim: metadata: key %q is not valid UTF-8", k)
		case strings.IndexFunc(k, unicode.IsControl) >= 0:
			return fmt.Errorf("optim: metadata: key %q holds a control character", k)
		case !utf8.ValidString(v):
			return fmt.Errorf("optim: metadata: the value of %q is not valid UTF-8", k)
		}
		total += len(k) + len(v)
		if total > MaxMetadataBytes {
			return fmt.Errorf("optim: metadata: more than %d bytes of keys and values", MaxMetadataBytes)
		}
	}
	return nil
}

// SetMetadata sets the caller metadata that WriteTo and Save write with
// every later checkpoint, replacing what was set or loaded before (nil or
// an empty map: none). It copies m, and refuses it, changing nothing, if
// it is not valid (see MaxMetadataKeyLen).
func (o *Optimizer) SetMetadata(m map[string]string) error {
	if err := CheckMetadata(m); err != nil {
		return err
	}
	o.c.meta = nil
	if len(m) > 0 {
		o.c.meta = maps.Clone(m)
	}
	return nil
}

// Metadata returns a copy of the caller metadata: what SetMetadata set or
// the last Load or Restore read (nil if none).
func (o *Optimizer) Metadata() map[string]string {
	if len(o.c.meta) == 0 {
		return nil
	}
	return maps.Clone(o.c.meta)
}

// Metadata returns the checkpoint's caller metadata (nil if none).
func (ck *Checkpoint) Metadata() map[string]string { return ck.meta }

// userMetadata extracts and checks the caller metadata of a checkpoint's
// safetensors metadata.
func userMetadata(m map[string]string) (map[string]string, error) {
	var u map[string]string
	for k, v := range m {
		if key, ok := strings.CutPrefix(k, userPrefix); ok {
			if u == nil {
				u = map[string]string{}
			}
			u[key] = v
		}
	}
	if err := CheckMetadata(u); err != nil {
		return nil, fmt.Errorf("optim: checkpoint: %w", err)
	}
	return u, nil
}

// ReadMetadata returns the caller metadata of the checkpoint at path. It
// reads and checks the header only (format, version, header checksum,
// step count; the data section's checksum is Load's to check), so it costs
// no more than the header whatever the file's size; like Load it refuses a
// path that is not a regular file. A program uses it to rebuild what it
// needs (the model, the optimizer) before loading the checkpoint into it;
// Load then restores the same metadata, which Metadata returns — comparing
// the two tells whether the file was replaced in between.
func ReadMetadata(path string) (map[string]string, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, fmt.Errorf("optim: reading checkpoint metadata: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("optim: reading checkpoint metadata: %w", err)
	}
	st, err := safetensors.ReadHeader(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("optim: checkpoint: %w", err)
	}
	ck, err := checkHeader(st, true)
	if err != nil {
		return nil, err
	}
	return ck.Metadata(), nil
}

// openRegular opens path for reading if it is a regular file (checked
// before opening, so that a FIFO does not block, and after, in case it
// was replaced in between).
func openRegular(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%v)", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if fi, err = f.Stat(); err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file (%v)", path, fi.Mode().Type())
	}
	return f, nil
}
