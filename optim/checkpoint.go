package optim

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/descent-go/descent/safetensors"
)

// Checkpoint format: a safetensors file (package safetensors) holding, for
// every parameter in the optimizer's order, the tensor "<name>" (its data)
// followed by the state tensors its group keeps (Algorithm.State, in that
// order: "<name>.exp_avg", "<name>.exp_avg_sq" and, with AMSGrad,
// "<name>.max_exp_avg_sq" for adam; "<name>.momentum_buffer" for sgd with
// momentum; …), of the parameter's dtype and shape; and in the metadata,
// every value a string:
//
//	format, format_version    "descent.optim", "1"
//	kind                      the update rule (Algorithm.Kind): "sgd", "adam",
//	                          "lion", "adagrad" or "rmsprop"
//	step                      updates taken, < MaxStep (a step count that
//	                          cannot be advanced is refused)
//	groups                    number of groups
//	group.<g>.params          JSON array of the group's parameter names
//	group.<g>.<key>           every hyper-parameter of the rule by its
//	                          HyperParam.Key, lr being the base rate: lr,
//	                          beta1, beta2, eps, weight_decay, decoupled,
//	                          amsgrad, maximize (adam); lr, momentum,
//	                          dampening, weight_decay, nesterov, maximize
//	                          (sgd); … (switches "true" or "false")
//	group.<g>.last_lr         learning rate of the last update
//	group.<g>.born            the step count when the group was added
//	                          (AddGroup; absent: 0): its updates count from
//	                          there (bias correction, first momentum step)
//	group.<g>.schedule_state  "1" when the group's schedule is Stateful,
//	group.<g>.schedule.<key>  with its State entries
//	scaler.scale, scaler.growth_tracker (with a loss scaler; scaler.init_scale,
//	                          growth_factor, backoff_factor, growth_interval
//	                          are written for reference and not restored)
//	user.<key>                caller metadata (Optimizer.SetMetadata)
//	sha256                    SHA-256 of the data section, hex
//	header_sha256             SHA-256 of every other metadata entry and the
//	                          tensor index, in a canonical order, hex
//
// Floats are written as the shortest decimal that parses back to the same
// float64 (strconv 'g', -1; "+Inf", "-Inf", "NaN" for the specials).
const (
	checkpointFormat  = "descent.optim"
	checkpointVersion = "1"
)

// Checkpoint is a decoded, checksum-verified checkpoint, not yet matched
// against an optimizer (Optimizer.Restore does that).
type Checkpoint struct {
	Kind   Kind
	Step   int
	Groups int
	File   *safetensors.File

	meta map[string]string // caller metadata, checked
}

// ReadCheckpoint reads a checkpoint from r, parses it, checks its format,
// version and both checksums, and returns it. It returns an error, never
// panicking, for any input that is not a well-formed checkpoint. It reads
// the header first and checks it (and its checksum) before reading the
// data section, which it reads as its bytes arrive: memory is bounded by
// what r delivers, never by what a header claims. Load, which knows the
// file's length and the optimizer, checks more before reading the data.
func ReadCheckpoint(r io.Reader) (*Checkpoint, error) {
	st, err := safetensors.ReadHeader(r, -1)
	if err != nil {
		return nil, fmt.Errorf("optim: checkpoint: %w", err)
	}
	ck, err := checkHeader(st, true)
	if err != nil {
		return nil, err
	}
	if err := st.ReadData(r); err != nil {
		return nil, fmt.Errorf("optim: checkpoint: %w", err)
	}
	if err := verifyData(st); err != nil {
		return nil, err
	}
	return ck, nil
}

// decodeCheckpoint parses b; verify=false skips the checksums (for the
// fuzz target, which must reach the validation behind them).
func decodeCheckpoint(b []byte, verify bool) (*Checkpoint, error) {
	st, err := safetensors.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("optim: checkpoint: %w", err)
	}
	ck, err := checkHeader(st, verify)
	if err != nil {
		return nil, err
	}
	if verify {
		if err := verifyData(st); err != nil {
			return nil, err
		}
	}
	return ck, nil
}

// checkHeader checks a checkpoint's metadata — format, version, the header
// checksum (with verify), kind, step count, groups — and returns it as a
// Checkpoint (whose data may not be read yet).
func checkHeader(st *safetensors.File, verify bool) (*Checkpoint, error) {
	m := st.Metadata
	if m["format"] != checkpointFormat {
		return nil, fmt.Errorf("optim: checkpoint: format %q, want %q", m["format"], checkpointFormat)
	}
	if m["format_version"] != checkpointVersion {
		return nil, fmt.Errorf("optim: checkpoint: format version %q, want %q", m["format_version"], checkpointVersion)
	}
	if verify {
		idx := make([]indexEntry, len(st.Tensors))
		for i, t := range st.Tensors {
			idx[i] = indexEntry{t.Name, t.Dtype, t.Shape, t.NBytes()}
		}
		hs := headerDigest(st.Metadata, idx)
		if want := st.Metadata["header_sha256"]; hs != want {
			return nil, fmt.Errorf("optim: checkpoint: header checksum mismatch (corrupt file): %s, metadata says %q", hs, want)
		}
	}
	ck := &Checkpoint{Kind: Kind(m["kind"]), File: st}
	if rules[ck.Kind] == nil {
		return nil, fmt.Errorf("optim: checkpoint: unknown optimizer kind %q", m["kind"])
	}
	var err error
	if ck.Step, err = metaInt(m, "step"); err != nil {
		return nil, err
	}
	if ck.Step >= MaxStep {
		return nil, fmt.Errorf("optim: checkpoint: step count %d cannot be advanced (the largest is MaxStep, %d)", ck.Step, MaxStep)
	}
	if ck.Groups, err = metaInt(m, "groups"); err != nil {
		return nil, err
	}
	if ck.Groups < 1 {
		return nil, fmt.Errorf("optim: checkpoint: %d groups", ck.Groups)
	}
	if ck.meta, err = userMetadata(m); err != nil {
		return nil, err
	}
	return ck, nil
}

// verifyData checks the data section's checksum.
func verifyData(st *safetensors.File) error {
	sum := sha256.Sum256(st.Data)
	if want := st.Metadata["sha256"]; hex.EncodeToString(sum[:]) != want {
		return fmt.Errorf("optim: checkpoint: data checksum mismatch (corrupt file): sha256 %x, metadata says %q", sum, want)
	}
	return nil
}

// indexEntry describes one tensor for the header digest.
type indexEntry struct {
	name, dtype string
	shape       []int
	nbytes      int
}

// headerDigest hashes the metadata (less the two digests) in key order and
// the tensor index (name, dtype, shape, size) in data order.
func headerDigest(meta map[string]string, ts []indexEntry) string {
	h := sha256.New()
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k != "sha256" && k != "header_sha256" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%d:%s%d:%s", len(k), k, len(meta[k]), meta[k])
	}
	for _, t := range ts {
		fmt.Fprintf(h, "|%d:%s%s%v%d", len(t.name), t.name, t.dtype, t.shape, t.nbytes)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func metaInt(m map[string]string, k string) (int, error) {
	v, ok := m[k]
	if !ok {
		return 0, fmt.Errorf("optim: checkpoint: missing metadata %q", k)
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("optim: checkpoint: metadata %q = %q is not a count", k, v)
	}
	return n, nil
}

func metaFloat(m map[string]string, k string) (float64, error) {
	v, ok := m[k]
	if !ok {
		return 0, fmt.Errorf("optim: checkpoint: missing metadata %q", k)
	}
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("optim: checkpoint: metadata %q = %q is not a number", k, v)
	}
	return x, nil
}

// scheduleStates returns the "group.<g>.schedule.<key>" entries of m by
// group, for the groups with a Stateful schedule: one pass over m (a scan
// of m per group was quadratic in the number of groups).
func scheduleStates(c *core, m map[string]string) (map[int]map[string]float64, error) {
	out := map[int]map[string]float64{}
	stateful := false
	for gi := range c.groups {
		if _, ok := c.groups[gi].sched.(Stateful); ok {
			stateful = true
			break
		}
	}
	if !stateful {
		return out, nil
	}
	for k := range m {
		rest, ok := strings.CutPrefix(k, "group.")
		if !ok {
			continue
		}
		gs, key, ok := strings.Cut(rest, ".schedule.")
		if !ok {
			continue
		}
		gi, err := strconv.Atoi(gs)
		if err != nil || gi < 0 || gi >= len(c.groups) || strconv.Itoa(gi) != gs {
			continue
		}
		if _, ok := c.groups[gi].sched.(Stateful); !ok {
			continue
		}
		v, err := metaFloat(m, k)
		if err != nil {
			return nil, err
		}
		if out[gi] == nil {
			out[gi] = map[string]float64{}
		}
		out[gi][key] = v
	}
	return out, nil
}

func fstr(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// outs returns every tensor of a checkpoint, in order.
func (c *core) outs() []safetensors.Out {
	var ts []safetensors.Out
	for _, t := range c.tensors {
		ts = append(ts, t.outs(c.alg.State)...)
	}
	return ts
}

// WriteTo writes a checkpoint of the parameters and the optimizer's state
// to w: the safetensors layout described above, with both checksums. It
// implements io.WriterTo.
func (o *Optimizer) WriteTo(w io.Writer) (int64, error) {
	c := o.c
	meta := map[string]string{
		"format":         checkpointFormat,
		"format_version": checkpointVersion,
		"kind":           string(c.alg.Kind),
		"step":           strconv.Itoa(c.step),
		"groups":         strconv.Itoa(len(c.groups)),
	}
	for gi := range c.groups {
		g := &c.groups[gi]
		p := fmt.Sprintf("group.%d.", gi)
		names := make([]string, len(g.params))
		for i, ti := range g.params {
			names[i] = c.tensors[ti].base().name
		}
		j, _ := json.Marshal(names)
		meta[p+"params"] = string(j)
		meta[p+"last_lr"] = fstr(g.lr)
		if g.born != 0 {
			meta[p+"born"] = strconv.Itoa(g.born)
		}
		g.h.meta(meta, p)
		if s, ok := g.sched.(Stateful); ok {
			meta[p+"schedule_state"] = "1"
			for k, v := range s.State() {
				meta[p+"schedule."+k] = fstr(v)
			}
		}
	}
	for k, v := range c.meta {
		meta[userPrefix+k] = v
	}
	if s := c.scaler; s != nil {
		meta["scaler.scale"] = fstr(s.scale)
		meta["scaler.growth_tracker"] = strconv.Itoa(s.tracker)
		meta["scaler.init_scale"] = fstr(s.cfg.InitScale)
		meta["scaler.growth_factor"] = fstr(s.cfg.GrowthFactor)
		meta["scaler.backoff_factor"] = fstr(s.cfg.BackoffFactor)
		meta["scaler.growth_interval"] = strconv.Itoa(s.cfg.GrowthInterval)
	}
	ts := c.outs()
	// Data checksum, then the header digest over the index the reader
	// will see.
	h := sha256.New()
	buf := make([]byte, safetensors.BufSize(ts))
	idx := make([]indexEntry, len(ts))
	for i := range ts {
		ts[i].Encode(buf, func(p []byte) error { h.Write(p); return nil })
		idx[i] = indexEntry{ts[i].Name, ts[i].Dtype(), ts[i].Shape, ts[i].NBytes()}
	}
	meta["sha256"] = hex.EncodeToString(h.Sum(nil))
	meta["header_sha256"] = headerDigest(meta, idx)
	return safetensors.Write(w, meta, ts)
}

// Save writes a checkpoint to path atomically: to a temporary file in the
// same directory, synced, renamed over path, and the directory synced. On
// error path is untouched and the temporary file removed.
//
// The checkpoint keeps the permission bits of the file it replaces, and a
// new one is created 0600 (owner only: a checkpoint may hold proprietary
// weights; chmod it to share it, and later saves keep that). When path is
// a symbolic link (or a chain of them), Save follows it and replaces the
// file it names, atomically in that file's directory, so the link stays a
// link; a link that names no existing file is refused, as is a path that
// names something other than a regular file (a directory, a device).
//
// Temporary files left by a process killed while saving are removed by
// the next Save of the same checkpoint (see StaleTempAge).
func (o *Optimizer) Save(path string) error {
	return writeAtomic(path, "saving checkpoint", func(w io.Writer) error {
		_, err := o.WriteTo(w)
		return err
	})
}

// writeAtomic writes path as Save describes: write fills a temporary file
// beside the target, which is synced, given the target's mode and renamed
// over it; the directory is synced. Errors start "optim: <what>: ".
func writeAtomic(path, what string, write func(io.Writer) error) (err error) {
	target, mode, err := saveTarget(path)
	if err != nil {
		return fmt.Errorf("optim: %s: %w", what, err)
	}
	dir := filepath.Dir(target)
	removeStaleTemps(target, time.Now())
	f, err := os.CreateTemp(dir, tempPattern(target))
	if err != nil {
		return fmt.Errorf("optim: %s: %w", what, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("optim: %s: %w", what, err)
	}
	if err = f.Chmod(mode); err != nil {
		return fmt.Errorf("optim: %s: %w", what, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("optim: %s: %w", what, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("optim: %s: %w", what, err)
	}
	if err = os.Rename(tmp, target); err != nil {
		return fmt.Errorf("optim: %s: %w", what, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		serr := d.Sync()
		d.Close()
		if serr != nil && !errors.Is(serr, os.ErrInvalid) {
			return fmt.Errorf("optim: %s: syncing %s: %w", what, dir, serr)
		}
	}
	return nil
}

// saveTarget returns the file Save replaces — path, or the file a symbolic
// link at path finally names — and the permission bits to give it: the
// existing file's, 0600 for a new one.
func saveTarget(path string) (string, fs.FileMode, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, 0o600, nil
	}
	if err != nil {
		return "", 0, err
	}
	target := path
	if fi.Mode()&fs.ModeSymlink != 0 {
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return "", 0, fmt.Errorf("%s is a symbolic link that names no existing file (Save follows links and replaces their target): %w", path, err)
		}
		if fi, err = os.Stat(target); err != nil {
			return "", 0, err
		}
	}
	if !fi.Mode().IsRegular() {
		return "", 0, fmt.Errorf("%s is not a regular file (%v)", target, fi.Mode().Type())
	}
	return target, fi.Mode().Perm(), nil
}

// Load reads the checkpoint at path and restores it (see Restore). It
// refuses a path that is not a regular file (a directory, a FIFO, a device
// such as /dev/zero), and checks the header against the file's length, the
// header checksum, and the checkpoint against the optimizer — everything
// Restore checks but the data — before it reads the data section. That it
// reads into one buffer of its size, which is then the size of the
// optimizer's own parameters and state, verifies, and copies into place:
// a junk or foreign file costs no more than its header (at most
// safetensors.MaxHeaderLen, checked against the file's length first).
func (o *Optimizer) Load(path string) error {
	f, err := openRegular(path)
	if err != nil {
		return fmt.Errorf("optim: loading checkpoint: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("optim: loading checkpoint: %w", err)
	}
	st, err := safetensors.ReadHeader(f, fi.Size())
	if err != nil {
		return fmt.Errorf("optim: checkpoint: %w", err)
	}
	ck, err := checkHeader(st, true)
	if err != nil {
		return err
	}
	rp, err := o.plan(ck)
	if err != nil {
		return err
	}
	if err := st.ReadData(f); err != nil {
		return fmt.Errorf("optim: checkpoint: %w", err)
	}
	if err := verifyData(st); err != nil {
		return err
	}
	return o.commit(rp)
}

// Restore sets the parameters, the optimizer state (step count, moments,
// momentum buffers …), the hyper-parameters (as PyTorch's load_state_dict
// does; structural settings — AMSGrad, decoupled decay, centering, the
// algorithm's fixed values, whether a state tensor such as SGD's momentum
// buffer is kept — must already match), the schedules' state, the loss
// scaler's scale and the caller metadata (SetMetadata) from ck. The checkpoint must match the optimizer exactly:
// same kind, groups, parameter names per group, dtypes and shapes, the
// state tensors this optimizer keeps and no others, state for every
// Stateful schedule and for the loss scaler if there is one. Everything is
// checked before anything changes: on error, nothing has.
func (o *Optimizer) Restore(ck *Checkpoint) error {
	rp, err := o.plan(ck)
	if err != nil {
		return err
	}
	for _, p := range rp.copies {
		if len(p.src.Data) != p.nbytes {
			return fmt.Errorf("optim: checkpoint tensor %q has %d bytes of data, want %d (data not read?)", p.src.Name, len(p.src.Data), p.nbytes)
		}
	}
	return o.commit(rp)
}

// restorePlan is everything a checkpoint sets, checked.
type restorePlan struct {
	groups  []groupPlan
	copies  []copyPlan
	scale   float64
	tracker int
	step    int
	meta    map[string]string
}

type groupPlan struct {
	h      groupHyper
	born   int
	lastLR float64
	sched  map[string]float64
}

// copyPlan copies a checkpoint tensor into one of an optimizer tensor's.
type copyPlan struct {
	dst    anyTensor
	k      int // the k-th of dst's tensors
	src    *safetensors.Tensor
	nbytes int
}

// plan checks ck against the optimizer — all but the data, which need not
// be read yet — and returns what restoring it sets.
func (o *Optimizer) plan(ck *Checkpoint) (*restorePlan, error) {
	c := o.c
	m := ck.File.Metadata
	if ck.Kind != c.alg.Kind {
		return nil, fmt.Errorf("optim: checkpoint is of a %s optimizer, this is %s", ck.Kind, c.alg.Kind)
	}
	if ck.Groups != len(c.groups) {
		return nil, fmt.Errorf("optim: checkpoint has %d groups, optimizer %d", ck.Groups, len(c.groups))
	}
	rp := &restorePlan{groups: make([]groupPlan, len(c.groups)), step: ck.Step, meta: ck.meta}
	scheds, err := scheduleStates(c, m)
	if err != nil {
		return nil, err
	}
	for gi := range c.groups {
		g := &c.groups[gi]
		p := fmt.Sprintf("group.%d.", gi)
		var names []string
		if err := json.Unmarshal([]byte(m[p+"params"]), &names); err != nil {
			return nil, fmt.Errorf("optim: checkpoint: metadata %q: %v", p+"params", err)
		}
		want := make([]string, len(g.params))
		for i, ti := range g.params {
			want[i] = c.tensors[ti].base().name
		}
		if !slices.Equal(names, want) {
			return nil, fmt.Errorf("optim: checkpoint group %d has parameters %q, optimizer %q", gi, names, want)
		}
		pl := &rp.groups[gi]
		var err error
		if pl.lastLR, err = metaFloat(m, p+"last_lr"); err != nil {
			return nil, err
		}
		if _, ok := m[p+"born"]; ok {
			if pl.born, err = metaInt(m, p+"born"); err != nil {
				return nil, err
			}
			if pl.born > ck.Step {
				return nil, fmt.Errorf("optim: checkpoint group %d was added at step %d, after the checkpoint's step %d", gi, pl.born, ck.Step)
			}
		}
		if pl.h, err = c.alg.rule.metaHyper(c.alg, m, p); err != nil {
			return nil, err
		}
		if err := c.alg.compatible(pl.h.values(), g.h.values()); err != nil {
			return nil, fmt.Errorf("optim: checkpoint group %d: %w", gi, err)
		}
		if err := pl.h.check(); err != nil {
			return nil, fmt.Errorf("optim: checkpoint group %d: %w", gi, err)
		}
		if !(pl.lastLR >= 0) || math.IsInf(pl.lastLR, 0) {
			return nil, fmt.Errorf("optim: checkpoint group %d: last learning rate %v", gi, pl.lastLR)
		}
		if _, ok := g.sched.(Stateful); ok {
			if m[p+"schedule_state"] != "1" {
				return nil, fmt.Errorf("optim: checkpoint has no state for group %d's schedule", gi)
			}
			pl.sched = scheds[gi]
			if pl.sched == nil {
				pl.sched = map[string]float64{}
			}
		}
	}
	if c.scaler != nil {
		var err error
		if rp.scale, err = metaFloat(m, "scaler.scale"); err != nil {
			return nil, err
		}
		if rp.tracker, err = metaInt(m, "scaler.growth_tracker"); err != nil {
			return nil, err
		}
		if rp.tracker == math.MaxInt {
			return nil, fmt.Errorf("optim: checkpoint: loss scaler growth tracker %d cannot be advanced", rp.tracker)
		}
		if !(rp.scale >= MinLossScale) || math.IsInf(rp.scale, 0) {
			return nil, fmt.Errorf("optim: checkpoint: loss scale %v (must be finite and ≥ %v)", rp.scale, MinLossScale)
		}
	}
	// Tensors: exactly the expected set, with matching dtypes and shapes.
	for _, t := range c.tensors {
		for k, want := range t.outs(c.alg.State) {
			got, ok := ck.File.Tensor(want.Name)
			if !ok {
				return nil, fmt.Errorf("optim: checkpoint has no tensor %q", want.Name)
			}
			if got.Dtype != want.Dtype() || !slices.Equal(got.Shape, want.Shape) {
				return nil, fmt.Errorf("optim: checkpoint tensor %q is %s%v, optimizer's is %s%v", want.Name, got.Dtype, got.Shape, want.Dtype(), want.Shape)
			}
			rp.copies = append(rp.copies, copyPlan{t, k, got, want.NBytes()})
		}
	}
	if len(rp.copies) != len(ck.File.Tensors) {
		// The planned tensors are distinct: find the first other one.
		planned := make(map[string]bool, len(rp.copies))
		for _, p := range rp.copies {
			planned[p.src.Name] = true
		}
		for _, t := range ck.File.Tensors {
			if !planned[t.Name] {
				return nil, fmt.Errorf("optim: checkpoint has a tensor %q this optimizer does not", t.Name)
			}
		}
	}
	return rp, nil
}

// commit sets what rp holds, its tensors' data read and checked.
func (o *Optimizer) commit(rp *restorePlan) error {
	c := o.c
	// Schedules first: SetState can still refuse, and the ones already set
	// are put back if a later one does.
	type undo struct {
		s   Stateful
		old map[string]float64
	}
	var undos []undo
	for gi := range c.groups {
		if rp.groups[gi].sched == nil {
			continue
		}
		s := c.groups[gi].sched.(Stateful)
		old := s.State()
		if err := s.SetState(rp.groups[gi].sched); err != nil {
			for i := len(undos) - 1; i >= 0; i-- {
				undos[i].s.SetState(undos[i].old)
			}
			return fmt.Errorf("optim: checkpoint group %d: schedule state: %w", gi, err)
		}
		undos = append(undos, undo{s, old})
	}
	for _, p := range rp.copies {
		p.dst.load(p.k, p.src.Data)
	}
	for gi := range c.groups {
		g := &c.groups[gi]
		g.h.assign(rp.groups[gi].h)
		g.lr = rp.groups[gi].lastLR
		g.born = rp.groups[gi].born
	}
	if c.scaler != nil {
		c.scaler.scale, c.scaler.tracker = rp.scale, rp.tracker
	}
	c.step = rp.step
	c.meta = rp.meta
	return nil
}
