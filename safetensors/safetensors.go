package safetensors

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// MaxHeaderLen is the largest header Parse accepts, as in the reference
// implementation.
const MaxHeaderLen = 100 << 20

// Dtype names of the format.
const (
	BOOL   = "BOOL"
	U8     = "U8"
	I8     = "I8"
	F8E5M2 = "F8_E5M2"
	F8E4M3 = "F8_E4M3"
	I16    = "I16"
	U16    = "U16"
	F16    = "F16"
	BF16   = "BF16"
	I32    = "I32"
	U32    = "U32"
	F32    = "F32"
	I64    = "I64"
	U64    = "U64"
	F64    = "F64"
)

// dtypeSizes are the element sizes of the dtypes.
var dtypeSizes = map[string]int{
	BOOL: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1,
	I16: 2, U16: 2, F16: 2, BF16: 2,
	I32: 4, U32: 4, F32: 4,
	I64: 8, U64: 8, F64: 8,
}

// DtypeSize returns the size in bytes of one element of dtype; ok is false
// for a name the format does not define.
func DtypeSize(dtype string) (size int, ok bool) {
	size, ok = dtypeSizes[dtype]
	return size, ok
}

// Float is the element type of the tensors Of and Decode handle.
type Float interface{ float32 | float64 }

// DtypeOf returns the dtype name of T: "F32" or "F64".
func DtypeOf[T Float]() string {
	var x T
	if _, ok := any(x).(float32); ok {
		return F32
	}
	return F64
}

// Tensor is one tensor of a parsed file.
type Tensor struct {
	Name  string
	Dtype string // "F32", "F64", "BF16", "I64" …
	Shape []int
	Data  []byte // little-endian, row-major; aliases the parsed buffer

	lo, hi uint64 // data_offsets
}

// NBytes returns the size of t's data in bytes, from its data_offsets (so
// also before ReadData).
func (t *Tensor) NBytes() int { return int(t.hi - t.lo) }

// File is a parsed safetensors file.
type File struct {
	Metadata map[string]string // the "__metadata__" map; empty if absent
	Tensors  []Tensor          // in the order of their data
	Data     []byte            // the whole data section; aliases the parsed buffer (nil until ReadData after ReadHeader)
	DataLen  int64             // the data section's length in bytes
	byName   map[string]int
	sized    bool // ReadHeader was given the file's size
	read     bool // Data is set
}

// Tensor returns the tensor named name.
func (f *File) Tensor(name string) (*Tensor, bool) {
	i, ok := f.byName[name]
	if !ok {
		return nil, false
	}
	return &f.Tensors[i], true
}

// Parse parses a safetensors file held in b. It checks the whole structure
// — header length, JSON syntax, UTF-8, no duplicate or unknown keys (keys
// match exactly: "DTYPE" or "Shape" is unknown), values of the right JSON
// type (metadata values strings, dimensions and offsets non-negative
// integers), known dtypes, shapes whose size matches the offsets, tensors
// that cover the data section exactly — and returns an error, never
// panicking, for any input that breaks it. The returned tensors' Data
// alias b.
func Parse(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("safetensors: %d bytes, too short for the header length", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeaderLen {
		return nil, fmt.Errorf("safetensors: header length %d exceeds %d", n, MaxHeaderLen)
	}
	if n > uint64(len(b)-8) {
		return nil, fmt.Errorf("safetensors: header length %d exceeds the %d bytes that follow (truncated file?)", n, len(b)-8)
	}
	header, data := b[8:8+n], b[8+n:]
	s, err := parseHeader(header, uint64(len(data)), true)
	if err != nil {
		return nil, err
	}
	s.setData(data)
	return s, nil
}

func (f *File) setData(data []byte) {
	f.Data, f.read = data, true
	for i := range f.Tensors {
		t := &f.Tensors[i]
		t.Data = data[t.lo:t.hi:t.hi]
	}
}

// ReadHeader reads the header of a safetensors file from r — the 8-byte
// length and the JSON header — and parses and checks it as Parse does,
// leaving r at the start of the data section, which ReadData reads.
//
// size is the length of the whole file, or −1 if unknown (a stream). With
// a known size, the header length is checked against it (and
// MaxHeaderLen) before the header is allocated, and the tensors must cover
// exactly the rest of the file: nothing is read or allocated beyond the
// header for a file whose header does not fit it. With an unknown size the
// data section ends where the last tensor does, and the header is read as
// its bytes arrive, so that a stream shorter than its header length claims
// costs no more than it holds.
func ReadHeader(r io.Reader, size int64) (*File, error) {
	var lb [8]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return nil, errors.New("safetensors: too short for the header length")
		}
		return nil, fmt.Errorf("safetensors: reading the header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lb[:])
	if n > MaxHeaderLen {
		return nil, fmt.Errorf("safetensors: header length %d exceeds %d", n, MaxHeaderLen)
	}
	var header []byte
	if size >= 0 {
		if n > uint64(max(size-8, 0)) {
			return nil, fmt.Errorf("safetensors: header length %d exceeds the %d bytes that follow (truncated file?)", n, max(size-8, 0))
		}
		header = make([]byte, n)
		if _, err := io.ReadFull(r, header); err != nil {
			return nil, fmt.Errorf("safetensors: reading the header: %w", err)
		}
	} else {
		var err error
		if header, err = io.ReadAll(io.LimitReader(r, int64(n))); err != nil {
			return nil, fmt.Errorf("safetensors: reading the header: %w", err)
		}
		if uint64(len(header)) != n {
			return nil, fmt.Errorf("safetensors: header length %d exceeds the %d bytes that follow (truncated file?)", n, len(header))
		}
	}
	dataLen := uint64(0)
	if size >= 0 {
		dataLen = uint64(size) - 8 - n
	}
	s, err := parseHeader(header, dataLen, size >= 0)
	if err != nil {
		return nil, err
	}
	s.sized = size >= 0
	return s, nil
}

// ReadData reads the data section of a file whose header ReadHeader read —
// f.DataLen bytes, from r where ReadHeader left it — and sets f.Data and
// every tensor's Data (slices of it). With the file's size known to
// ReadHeader it allocates the section at once; otherwise it grows the
// buffer as the bytes arrive (a stream that ends early costs no more than
// it held) and checks that r ends after it.
func (f *File) ReadData(r io.Reader) error {
	if f.read {
		return errors.New("safetensors: ReadData: data already read")
	}
	if f.DataLen > math.MaxInt {
		return fmt.Errorf("safetensors: data section of %d bytes too large for this platform", f.DataLen)
	}
	var data []byte
	if f.sized {
		data = make([]byte, f.DataLen)
		if _, err := io.ReadFull(r, data); err != nil {
			return fmt.Errorf("safetensors: reading the %d-byte data section: %w", f.DataLen, err)
		}
	} else {
		var err error
		if data, err = io.ReadAll(io.LimitReader(r, f.DataLen)); err != nil {
			return fmt.Errorf("safetensors: reading the data section: %w", err)
		}
		if int64(len(data)) != f.DataLen {
			return fmt.Errorf("safetensors: data section has %d bytes, tensors cover %d (truncated file?)", len(data), f.DataLen)
		}
		var one [1]byte
		if k, _ := io.ReadFull(r, one[:]); k > 0 {
			return fmt.Errorf("safetensors: data after the %d bytes the tensors cover", f.DataLen)
		}
	}
	f.setData(data)
	return nil
}

func bytesOf(numel uint64, size int) string {
	if numel > math.MaxUint64/uint64(size) {
		return "too many"
	}
	return strconv.FormatUint(numel*uint64(size), 10)
}

// Decode sets dst to the little-endian elements in data. It panics unless
// len(data) is len(dst) elements of T.
func Decode[T Float](dst []T, data []byte) {
	switch d := any(dst).(type) {
	case []float32:
		if len(data) != 4*len(d) {
			panic(fmt.Sprintf("safetensors: Decode: %d bytes for %d float32 elements", len(data), len(d)))
		}
		for i := range d {
			d[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case []float64:
		if len(data) != 8*len(d) {
			panic(fmt.Sprintf("safetensors: Decode: %d bytes for %d float64 elements", len(data), len(d)))
		}
		for i := range d {
			d[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
	}
}

// Out is a tensor to write: a name, a shape and float32 or float64
// elements, encoded as they are written. Build one with Of.
type Out struct {
	Name  string
	Shape []int
	f32   []float32
	f64   []float64
	u8    []uint8  // with dtype U8
	u16   []uint16 // with dtype BF16 or F16 (their bits)
	dtype string   // set for u8 and u16
}

// OfU8 returns the U8 tensor name over x (kept, like Of).
func OfU8(name string, shape []int, x []uint8) Out {
	if x == nil {
		x = []uint8{}
	}
	return Out{Name: name, Shape: shape, u8: x, dtype: U8}
}

// OfHalf returns the tensor name over x, the bits of 16-bit floats of
// dtype BF16 or F16 (kept, like Of). It panics for another dtype.
func OfHalf(name string, shape []int, dtype string, x []uint16) Out {
	if dtype != BF16 && dtype != F16 {
		panic("safetensors: OfHalf: dtype " + dtype)
	}
	if x == nil {
		x = []uint16{}
	}
	return Out{Name: name, Shape: shape, u16: x, dtype: dtype}
}

// DecodeU8 copies data into dst. It panics unless the lengths are equal.
func DecodeU8(dst []uint8, data []byte) {
	if len(data) != len(dst) {
		panic(fmt.Sprintf("safetensors: DecodeU8: %d bytes for %d elements", len(data), len(dst)))
	}
	copy(dst, data)
}

// DecodeU16 sets dst to the little-endian 16-bit elements in data (the bits
// of BF16, F16, U16 or I16 tensors). It panics unless len(data) is
// 2·len(dst).
func DecodeU16(dst []uint16, data []byte) {
	if len(data) != 2*len(dst) {
		panic(fmt.Sprintf("safetensors: DecodeU16: %d bytes for %d elements", len(data), len(dst)))
	}
	for i := range dst {
		dst[i] = binary.LittleEndian.Uint16(data[2*i:])
	}
}

// Of returns the tensor name of the given shape over x, which it keeps
// (the elements are read when the tensor is encoded). The product of the
// shape's dimensions should be len(x); Write does not check it.
func Of[T Float](name string, shape []int, x []T) Out {
	o := Out{Name: name, Shape: shape}
	switch v := any(x).(type) {
	case []float32:
		o.f32 = v
		if v == nil {
			o.f32 = []float32{}
		}
	case []float64:
		o.f64 = v
		if v == nil {
			o.f64 = []float64{}
		}
	}
	return o
}

// Dtype returns the tensor's dtype: "F32", "F64", "U8", "BF16" or "F16".
func (t *Out) Dtype() string {
	if t.dtype != "" {
		return t.dtype
	}
	if t.f32 != nil {
		return F32
	}
	return F64
}

// NBytes returns the size of t's data.
func (t *Out) NBytes() int {
	switch {
	case t.u8 != nil:
		return len(t.u8)
	case t.u16 != nil:
		return 2 * len(t.u16)
	}
	if t.f32 != nil {
		return 4 * len(t.f32)
	}
	return 8 * len(t.f64)
}

// Encode calls emit with t's bytes, little-endian, in order, a buffer at a
// time: buf (at least 8 bytes) is reused for every call, so emit must not
// keep it. It returns emit's first error.
func (t *Out) Encode(buf []byte, emit func([]byte) error) error {
	if t.u8 != nil {
		for lo := 0; lo < len(t.u8); lo += len(buf) {
			n := copy(buf, t.u8[lo:])
			if err := emit(buf[:n]); err != nil {
				return err
			}
		}
		return nil
	}
	if t.u16 != nil {
		per := len(buf) / 2
		for lo := 0; lo < len(t.u16); lo += per {
			part := t.u16[lo:min(lo+per, len(t.u16))]
			for i, x := range part {
				binary.LittleEndian.PutUint16(buf[2*i:], x)
			}
			if err := emit(buf[:2*len(part)]); err != nil {
				return err
			}
		}
		return nil
	}
	if t.f32 != nil {
		per := len(buf) / 4
		for lo := 0; lo < len(t.f32); lo += per {
			part := t.f32[lo:min(lo+per, len(t.f32))]
			for i, x := range part {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(x))
			}
			if err := emit(buf[:4*len(part)]); err != nil {
				return err
			}
		}
		return nil
	}
	per := len(buf) / 8
	for lo := 0; lo < len(t.f64); lo += per {
		part := t.f64[lo:min(lo+per, len(t.f64))]
		for i, x := range part {
			binary.LittleEndian.PutUint64(buf[8*i:], math.Float64bits(x))
		}
		if err := emit(buf[:8*len(part)]); err != nil {
			return err
		}
	}
	return nil
}

// Header returns the JSON header Write writes for meta and ts (metadata
// keys sorted, tensors in order and contiguous), padded with spaces to a
// multiple of 8 bytes.
func Header(meta map[string]string, ts []Out) []byte {
	var b bytes.Buffer
	q := func(s string) {
		j, _ := json.Marshal(s) // strings always marshal
		b.Write(j)
	}
	b.WriteString(`{"__metadata__":{`)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		q(k)
		b.WriteByte(':')
		q(meta[k])
	}
	b.WriteByte('}')
	off := 0
	for i := range ts {
		t := &ts[i]
		b.WriteByte(',')
		q(t.Name)
		dims := make([]string, len(t.Shape))
		for j, d := range t.Shape {
			dims[j] = strconv.Itoa(d)
		}
		fmt.Fprintf(&b, `:{"dtype":%q,"shape":[%s],"data_offsets":[%d,%d]}`, t.Dtype(), strings.Join(dims, ","), off, off+t.NBytes())
		off += t.NBytes()
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	return b.Bytes()
}

// Write writes a safetensors file of meta and ts (in that order in the data
// section) to w and returns the number of bytes written.
func Write(w io.Writer, meta map[string]string, ts []Out) (int64, error) {
	h := Header(meta, ts)
	size := BufSize(ts)
	bw := bufio.NewWriterSize(w, size)
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(h)))
	bw.Write(n[:])
	bw.Write(h)
	total := int64(8 + len(h))
	buf := make([]byte, size)
	for i := range ts {
		if err := ts[i].Encode(buf, func(p []byte) error {
			_, err := bw.Write(p)
			return err
		}); err != nil {
			return 0, err
		}
		total += int64(ts[i].NBytes())
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	return total, nil
}

// BufSize is the size of the encoding buffers Write uses for ts: 64 KiB,
// less for small files (at least 64 bytes).
func BufSize(ts []Out) int {
	n := 0
	for i := range ts {
		n += ts[i].NBytes()
	}
	return min(max(n, 64), 1<<16)
}
