package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"runtime"
	"slices"
	"testing"
)

func le64(n int) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(n)) }

func st(header string, data []byte) []byte {
	return append(append(le64(len(header)), header...), data...)
}

func TestParse(t *testing.T) {
	eight := make([]byte, 8)
	ok := st(`{"__metadata__":{"a":"b"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  `, eight)
	s, err := Parse(ok)
	if err != nil || s.Metadata["a"] != "b" || len(s.Tensors) != 1 || s.Tensors[0].Shape[0] != 2 {
		t.Fatalf("%+v %v", s, err)
	}
	two := st(`{"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, eight)
	s, err = Parse(two)
	if err != nil || s.Tensors[0].Name != "x" {
		t.Fatalf("data order: %+v %v", s, err)
	}
	bad := map[string][]byte{
		"short":       {1, 2},
		"len":         st(`{}`, nil)[:9],
		"huge len":    append(le64(1<<40), '{'),
		"not object":  st(`[]`, nil),
		"dup":         st(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight),
		"dup meta":    st(`{"__metadata__":{},"__metadata__":{}}`, nil),
		"meta type":   st(`{"__metadata__":{"a":1}}`, nil),
		"dtype":       st(`{"x":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}`, eight),
		"field":       st(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"z":1}}`, eight),
		"no shape":    st(`{"x":{"dtype":"F32","data_offsets":[0,8]}}`, eight),
		"offsets":     st(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}`, eight),
		"size":        st(`{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, eight),
		"beyond":      st(`{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, eight),
		"reversed":    st(`{"x":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, eight),
		"hole":        st(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight),
		"overlap":     st(`{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, eight),
		"uncovered":   st(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, eight),
		"trailing":    st(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}} x`, eight),
		"overflow":    st(`{"x":{"dtype":"F64","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}`, eight),
		"negative":    st(`{"x":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, eight),
		"bad json":    st(`{"x":`, nil),
		"key type":    st(`{1:2}`, nil),
		"dim too big": st(`{"x":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]},"y":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}`, eight),
	}
	for name, b := range bad {
		if s, err := Parse(b); err == nil {
			t.Errorf("%s: accepted: %+v", name, s)
		}
	}
}

// TestWriteParse writes tensors of both element types (one empty, one
// larger than the encoding buffer) and parses them back.
func TestWriteParse(t *testing.T) {
	big := make([]float64, 20000)
	for i := range big {
		big[i] = math.Sqrt(float64(i)) - 7
	}
	small := []float32{1.5, float32(math.Inf(-1)), -0, 3}
	ts := []Out{
		Of("a", []int{2, 2}, small),
		Of("empty", []int{0}, []float32(nil)),
		Of("big", []int{len(big)}, big),
		Of("scalar", []int{}, []float64{math.NaN()}),
	}
	meta := map[string]string{"z": "1", "a": "\"quoted\"\n"}
	var w bytes.Buffer
	n, err := Write(&w, meta, ts)
	if err != nil || n != int64(w.Len()) {
		t.Fatalf("Write: %d %v (%d bytes)", n, err, w.Len())
	}
	b := w.Bytes()
	if hl := binary.LittleEndian.Uint64(b); hl%8 != 0 || int(hl) != len(Header(meta, ts)) {
		t.Errorf("header length %d", hl)
	}
	f, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Metadata) != 2 || f.Metadata["a"] != meta["a"] {
		t.Errorf("metadata %v", f.Metadata)
	}
	if len(f.Tensors) != len(ts) || len(f.Data) != 16+0+8*len(big)+8 {
		t.Fatalf("%d tensors, %d data bytes", len(f.Tensors), len(f.Data))
	}
	for i, want := range ts {
		got, ok := f.Tensor(want.Name)
		if !ok || got != &f.Tensors[i] || got.Dtype != want.Dtype() || !slices.Equal(got.Shape, want.Shape) || len(got.Data) != want.NBytes() {
			t.Errorf("tensor %q: %+v", want.Name, got)
		}
	}
	if f.Tensors[1].Dtype != F32 || f.Tensors[3].Dtype != F64 {
		t.Errorf("dtypes %s %s", f.Tensors[1].Dtype, f.Tensors[3].Dtype)
	}
	a := make([]float32, 4)
	Decode(a, f.Tensors[0].Data)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(small[i]) {
			t.Errorf("a[%d] = %v, want %v", i, a[i], small[i])
		}
	}
	c := make([]float64, len(big))
	Decode(c, f.Tensors[2].Data)
	if !slices.Equal(c, big) {
		t.Error("big tensor differs")
	}
	s := make([]float64, 1)
	Decode(s, f.Tensors[3].Data)
	if !math.IsNaN(s[0]) {
		t.Errorf("scalar %v", s[0])
	}
	if _, ok := f.Tensor("none"); ok {
		t.Error("found a missing tensor")
	}
	if DtypeOf[float32]() != F32 || DtypeOf[float64]() != F64 {
		t.Error("DtypeOf")
	}
	if sz, ok := DtypeSize(BF16); !ok || sz != 2 {
		t.Error("DtypeSize")
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	ts := []Out{Of("x", []int{100000}, make([]float32, 100000))}
	if _, err := Write(&failWriter{n: 1000}, nil, ts); err == nil {
		t.Error("no error from a failing writer")
	}
}

func TestDecodePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	Decode(make([]float64, 2), make([]byte, 8))
}

// FuzzParse: Parse never panics, and what it accepts is consistent: the
// tensors tile the data section in order, each of its dtype's size.
func FuzzParse(f *testing.F) {
	var w bytes.Buffer
	Write(&w, map[string]string{"k": "v"}, []Out{Of("a", []int{2, 3}, make([]float32, 6)), Of("b", nil, []float64{1})})
	f.Add(w.Bytes())
	f.Add(st(`{"x":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]}}`, make([]byte, 4)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b)
		// ReadHeader and ReadData, with the size known or not, accept
		// what Parse accepts and read the same tensors.
		for _, size := range []int64{int64(len(b)), -1} {
			r := bytes.NewReader(b)
			f, rerr := ReadHeader(r, size)
			if rerr == nil {
				rerr = f.ReadData(r)
			}
			if (rerr == nil) != (err == nil) {
				t.Fatalf("size %d: Parse: %v, ReadHeader and ReadData: %v", size, err, rerr)
			}
			if err == nil && !sameFile(s, f) {
				t.Fatalf("size %d: read %+v, parsed %+v", size, f, s)
			}
		}
		if err != nil {
			return
		}
		off := 0
		for _, x := range s.Tensors {
			size, ok := DtypeSize(x.Dtype)
			n := 1
			for _, d := range x.Shape {
				n *= d
			}
			if !ok || n*size != len(x.Data) {
				t.Fatalf("tensor %q: %s %v with %d bytes", x.Name, x.Dtype, x.Shape, len(x.Data))
			}
			off += len(x.Data)
		}
		if off != len(s.Data) {
			t.Fatalf("tensors cover %d of %d bytes", off, len(s.Data))
		}
		// What the strict parser accepts is JSON, and encoding/json reads
		// the same metadata from it.
		header := b[8 : len(b)-len(s.Data)]
		var top map[string]json.RawMessage
		if !json.Valid(header) || json.Unmarshal(header, &top) != nil {
			t.Fatalf("accepted invalid JSON %q", header)
		}
		var meta map[string]string
		keys := len(s.Tensors)
		if raw, ok := top["__metadata__"]; ok {
			keys++
			if json.Unmarshal(raw, &meta) != nil {
				t.Fatalf("accepted metadata %s", raw)
			}
		}
		if len(top) != keys || len(meta) != len(s.Metadata) {
			t.Fatalf("metadata %v, tensors %d; encoding/json reads %v, %d keys", s.Metadata, len(s.Tensors), meta, len(top))
		}
		for k, v := range meta {
			if s.Metadata[k] != v {
				t.Fatalf("metadata %q = %q, encoding/json reads %q", k, s.Metadata[k], v)
			}
		}
	})
}

// TestParseStrictKeys: a tensor entry with a duplicated key, a mis-cased or
// unknown key, a metadata map with a duplicated key or a non-string value,
// or a non-integer number is refused, as the reference implementation does
// (issue 17, item 3); the exact keys in any order are accepted.
func TestParseStrictKeys(t *testing.T) {
	eight := make([]byte, 8)
	good := []string{
		`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
		`{"x":{"data_offsets":[0,8],"shape":[2],"dtype":"F32"}}`,
		`{"__metadata__":null,"x":{"shape":[2],"dtype":"F32","data_offsets":[0,8]}}`,
		`{"__metadata__":{"a":"1","b":"1"},"x":{"dtype":"F32","shape":[ 2 ],"data_offsets":[ 0 , 8 ]}}`,
	}
	for _, h := range good {
		if _, err := Parse(st(h, eight)); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	// Escapes decode as encoding/json decodes them.
	s, err := Parse(st(`{"__metadata__":{"k\t":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"},"\u00e9\/x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, eight))
	if err != nil || s.Tensors[0].Name != "é/x" || s.Metadata["k\t"] != "\"\\/\b\f\n\r\té😀" {
		t.Errorf("escapes: %v %+v", err, s)
	}
	bad := map[string]string{
		"dup dtype":        `{"x":{"dtype":"F32","dtype":"F64","shape":[2],"data_offsets":[0,8]}}`,
		"dup dtype 2":      `{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8],"dtype":"F32"}}`,
		"dup shape":        `{"x":{"dtype":"F32","shape":[1],"shape":[2],"data_offsets":[0,8]}}`,
		"dup offsets":      `{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4],"data_offsets":[0,8]}}`,
		"DTYPE":            `{"x":{"DTYPE":"F32","shape":[2],"data_offsets":[0,8]}}`,
		"Shape":            `{"x":{"dtype":"F32","Shape":[2],"data_offsets":[0,8]}}`,
		"Data_Offsets":     `{"x":{"dtype":"F32","shape":[2],"Data_Offsets":[0,8]}}`,
		"mixed case dup":   `{"x":{"dtype":"F32","Dtype":"F64","shape":[2],"data_offsets":[0,8]}}`,
		"unknown":          `{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"strides":[1]}}`,
		"no dtype":         `{"x":{"shape":[2],"data_offsets":[0,8]}}`,
		"no offsets":       `{"x":{"dtype":"F32","shape":[2]}}`,
		"null shape":       `{"x":{"dtype":"F32","shape":null,"data_offsets":[0,8]}}`,
		"null dim":         `{"x":{"dtype":"F32","shape":[2,null],"data_offsets":[0,8]}}`,
		"null offset":      `{"x":{"dtype":"F32","shape":[2],"data_offsets":[null,8]}}`,
		"null dtype":       `{"x":{"dtype":null,"shape":[2],"data_offsets":[0,8]}}`,
		"float dim":        `{"x":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}`,
		"exp dim":          `{"x":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}`,
		"string dim":       `{"x":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}`,
		"entry not object": `{"x":[1]}`,
		"dup meta key":     `{"__metadata__":{"a":"1","a":"2"},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
		"null meta value":  `{"__metadata__":{"a":null},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
		"number meta":      `{"__metadata__":{"a":1},"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
		"invalid UTF-8":    "{\"x\xff\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
		"lone surrogate":   `{"x\ud800":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
		"bad escape":       `{"x\q":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
		"leading zero":     `{"x":{"dtype":"F32","shape":[02],"data_offsets":[0,8]}}`,
		"negative offset":  `{"x":{"dtype":"F32","shape":[2],"data_offsets":[-0,8]}}`,
		"control char":     "{\"x\n\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
		"trailing comma":   `{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8],}}`,
		"missing comma":    `{"x":{"dtype":"F32" "shape":[2],"data_offsets":[0,8]}}`,
	}
	for name, h := range bad {
		if s, err := Parse(st(h, eight)); err == nil {
			t.Errorf("%s: accepted %s: %+v", name, h, s.Tensors)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func sameFile(a, b *File) bool {
	if len(a.Tensors) != len(b.Tensors) || len(a.Metadata) != len(b.Metadata) || !bytes.Equal(a.Data, b.Data) || a.DataLen != b.DataLen {
		return false
	}
	for k, v := range a.Metadata {
		if b.Metadata[k] != v {
			return false
		}
	}
	for i := range a.Tensors {
		x, y := &a.Tensors[i], &b.Tensors[i]
		if x.Name != y.Name || x.Dtype != y.Dtype || !slices.Equal(x.Shape, y.Shape) || !bytes.Equal(x.Data, y.Data) {
			return false
		}
		if z, ok := b.Tensor(x.Name); !ok || z != y {
			return false
		}
	}
	return true
}

// endless is a stream of spaces without end.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// TestReadHeader: ReadHeader checks the header length against the file's
// size before allocating the header, reads nothing beyond the header, and
// ReadData then reads the data section; with the size unknown, a stream
// that is short, or longer than its tensors, is an error, and a header
// length the stream does not hold costs no more than it holds.
func TestReadHeader(t *testing.T) {
	var w bytes.Buffer
	ts := []Out{Of("a", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}), Of("b", nil, []float64{7})}
	if _, err := Write(&w, map[string]string{"k": "v"}, ts); err != nil {
		t.Fatal(err)
	}
	b := w.Bytes()
	hl := 8 + int(binary.LittleEndian.Uint64(b))
	want, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int64{int64(len(b)), -1} {
		r := bytes.NewReader(b)
		f, err := ReadHeader(r, size)
		if err != nil {
			t.Fatal(err)
		}
		if r.Len() != len(b)-hl || f.DataLen != int64(len(b)-hl) || f.Data != nil {
			t.Fatalf("size %d: ReadHeader left %d bytes unread, DataLen %d", size, r.Len(), f.DataLen)
		}
		if err := f.ReadData(r); err != nil {
			t.Fatal(err)
		}
		if !sameFile(want, f) {
			t.Fatalf("size %d: %+v", size, f)
		}
		if err := f.ReadData(r); err == nil {
			t.Error("ReadData twice")
		}
	}
	// Sizes that do not match the file.
	for _, size := range []int64{int64(len(b)) - 1, int64(len(b)) + 1, int64(hl) - 1, 0, 7} {
		if _, err := ReadHeader(bytes.NewReader(b), size); err == nil {
			t.Errorf("size %d of a %d-byte file accepted", size, len(b))
		}
	}
	// Streams: short, long.
	for _, s := range [][]byte{b[:len(b)-1], append(bytes.Clone(b), 0)} {
		r := bytes.NewReader(s)
		f, err := ReadHeader(r, -1)
		if err == nil {
			err = f.ReadData(r)
		}
		if err == nil {
			t.Errorf("a stream of %d bytes (file %d) accepted", len(s), len(b))
		}
	}
	// A header length of MaxHeaderLen in a short stream, or in a short
	// file of known size: no header allocated.
	hdr := append(le64(MaxHeaderLen), `{"x":1}`...)
	var a, c runtime.MemStats
	runtime.ReadMemStats(&a)
	_, err1 := ReadHeader(bytes.NewReader(hdr), -1)
	_, err2 := ReadHeader(bytes.NewReader(hdr), int64(len(hdr)))
	runtime.ReadMemStats(&c)
	if err1 == nil || err2 == nil {
		t.Fatal(err1, err2)
	}
	if n := c.TotalAlloc - a.TotalAlloc; n > 1<<20 {
		t.Errorf("refused a %d-byte header length having allocated %d bytes", MaxHeaderLen, n)
	}
	// A header length beyond MaxHeaderLen is refused before the header is
	// read, even from a stream without end.
	_, err = ReadHeader(io.MultiReader(bytes.NewReader(le64(MaxHeaderLen+1)), endless{}), -1)
	if err == nil {
		t.Error("header length beyond MaxHeaderLen accepted")
	}
}
