package safetensors

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// parseHeader parses and checks the JSON header of a file whose data
// section has dataLen bytes (known; otherwise the section ends where the
// last tensor does), and returns its metadata and tensors (in data order,
// without their Data).
//
// The header is parsed by hand, strictly, as the reference implementation
// (serde) does and encoding/json does not: keys match exactly ("DTYPE" and
// "Shape" are unknown keys), a key appears once in an object, metadata
// values are strings, dimensions and offsets non-negative integers (not
// 2.0, 2e0 or "2"), strings valid UTF-8 with no lone surrogate escapes.
func parseHeader(header []byte, dataLen uint64, known bool) (*File, error) {
	if len(header) == 0 || header[0] != '{' {
		return nil, errors.New("safetensors: header is not a JSON object")
	}
	if !utf8.Valid(header) {
		return nil, errors.New("safetensors: header is not valid UTF-8")
	}
	s := &File{Metadata: map[string]string{}, byName: map[string]int{}}
	p := &scanner{b: header}
	seenMeta := false
	err := p.object(func(key string) error {
		if key == "__metadata__" {
			if seenMeta {
				return errors.New("safetensors: header: duplicate __metadata__")
			}
			seenMeta = true
			if err := p.metadata(s.Metadata); err != nil {
				return fmt.Errorf("safetensors: __metadata__: %v", err)
			}
			return nil
		}
		if _, dup := s.byName[key]; dup {
			return fmt.Errorf("safetensors: duplicate tensor %q", key)
		}
		limit := dataLen
		if !known {
			limit = math.MaxInt64
		}
		t, err := p.entry(key, limit)
		if err != nil {
			return err
		}
		s.byName[key] = len(s.Tensors)
		s.Tensors = append(s.Tensors, t)
		return nil
	})
	if err != nil {
		if _, ok := err.(*syntaxError); ok {
			return nil, fmt.Errorf("safetensors: header: %v", err)
		}
		return nil, err
	}
	if p.skip(); p.i != len(p.b) {
		return nil, fmt.Errorf("safetensors: header: trailing data after the JSON object at byte %d", p.i)
	}
	// Tensors cover the data section exactly, in some order.
	sort.SliceStable(s.Tensors, func(i, j int) bool {
		a, b := &s.Tensors[i], &s.Tensors[j]
		if a.lo != b.lo {
			return a.lo < b.lo
		}
		return a.hi < b.hi
	})
	end := uint64(0)
	for i := range s.Tensors {
		t := &s.Tensors[i]
		if t.lo != end {
			if t.lo < end {
				return nil, fmt.Errorf("safetensors: tensor %q overlaps another", t.Name)
			}
			return nil, fmt.Errorf("safetensors: hole in the data section at [%d, %d)", end, t.lo)
		}
		end = t.hi
		s.byName[t.Name] = i
	}
	if known && end != dataLen {
		return nil, fmt.Errorf("safetensors: data section has %d bytes, tensors cover %d", dataLen, end)
	}
	s.DataLen = int64(end)
	return s, nil
}

// entryKeys are the keys of a tensor's entry, all required.
var entryKeys = [...]string{"dtype", "shape", "data_offsets"}

// entry parses the entry of the tensor name: an object with exactly the
// keys "dtype" (a string), "shape" and "data_offsets" (arrays of
// non-negative integers), each once, in any order; and checks it against a
// data section of dataLen bytes.
func (p *scanner) entry(name string, dataLen uint64) (Tensor, error) {
	t := Tensor{Name: name}
	var seen [len(entryKeys)]bool
	var dims, offs []uint64
	err := p.object(func(key string) error {
		i := slices.Index(entryKeys[:], key)
		if i < 0 {
			return fmt.Errorf("unknown key %q (the keys are dtype, shape and data_offsets)", key)
		}
		if seen[i] {
			return fmt.Errorf("duplicate key %q", key)
		}
		seen[i] = true
		var err error
		switch i {
		case 0:
			t.Dtype, err = p.str()
		case 1:
			dims, err = p.uints()
		case 2:
			offs, err = p.uints()
		}
		return err
	})
	if err == nil {
		for i, ok := range seen {
			if !ok {
				err = fmt.Errorf("no %s", entryKeys[i])
				break
			}
		}
	}
	if err != nil {
		return t, fmt.Errorf("safetensors: tensor %q: %v", name, err)
	}
	size, ok := dtypeSizes[t.Dtype]
	switch {
	case !ok:
		return t, fmt.Errorf("safetensors: tensor %q: unknown dtype %q", name, t.Dtype)
	case len(offs) != 2:
		return t, fmt.Errorf("safetensors: tensor %q: data_offsets %v must be [begin, end]", name, offs)
	}
	t.lo, t.hi = offs[0], offs[1]
	if t.lo > t.hi || t.hi > dataLen {
		return t, fmt.Errorf("safetensors: tensor %q: data_offsets [%d, %d] outside the %d-byte data section (truncated file?)", name, t.lo, t.hi, dataLen)
	}
	t.Shape = make([]int, len(dims))
	numel := uint64(1)
	for i, dim := range dims {
		// Products stay below 2^62: no overflow, and any nonzero size
		// beyond the data is refused below.
		if dim > math.MaxInt || dim > 1<<62 {
			return t, fmt.Errorf("safetensors: tensor %q: dimension %d too large", name, dim)
		}
		t.Shape[i] = int(dim)
		if numel != 0 && dim != 0 && numel > (1<<62)/dim {
			return t, fmt.Errorf("safetensors: tensor %q: shape %v too large", name, dims)
		}
		numel *= dim
	}
	if numel > dataLen/uint64(size) || numel*uint64(size) != t.hi-t.lo {
		return t, fmt.Errorf("safetensors: tensor %q: %s shape %v needs %s bytes, data_offsets [%d, %d] hold %d",
			name, t.Dtype, dims, bytesOf(numel, size), t.lo, t.hi, t.hi-t.lo)
	}
	return t, nil
}

// metadata parses the "__metadata__" value into m: null, or an object whose
// values are strings and whose keys appear once.
func (p *scanner) metadata(m map[string]string) error {
	if p.literal("null") {
		return nil
	}
	return p.object(func(key string) error {
		if _, dup := m[key]; dup {
			return fmt.Errorf("duplicate key %q", key)
		}
		v, err := p.str()
		if err != nil {
			return fmt.Errorf("%q: %v", key, err)
		}
		m[key] = v
		return nil
	})
}

// scanner reads the JSON of a header, b, from b[i:].
type scanner struct {
	b []byte
	i int
}

// A syntaxError is malformed JSON, or JSON of the wrong shape.
type syntaxError struct {
	msg string
	at  int
}

func (e *syntaxError) Error() string { return fmt.Sprintf("%s at byte %d", e.msg, e.at) }

func (p *scanner) fail(format string, args ...any) error {
	return &syntaxError{fmt.Sprintf(format, args...), p.i}
}

// found describes what is at p.i.
func (p *scanner) found() string {
	if p.i >= len(p.b) {
		return "the end of the header"
	}
	r, _ := utf8.DecodeRune(p.b[p.i:])
	return strconv.QuoteRune(r)
}

// skip skips white space.
func (p *scanner) skip() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte (0 at the end).
func (p *scanner) peek() byte {
	if p.skip(); p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

func (p *scanner) expect(c byte, what string) error {
	if p.peek() != c {
		return p.fail("expected %s, found %s", what, p.found())
	}
	p.i++
	return nil
}

// literal consumes the literal s (after white space) if it is next.
func (p *scanner) literal(s string) bool {
	p.skip()
	if len(p.b)-p.i >= len(s) && string(p.b[p.i:p.i+len(s)]) == s {
		p.i += len(s)
		return true
	}
	return false
}

// object parses an object, calling value with each key to parse its value.
func (p *scanner) object(value func(key string) error) error {
	if err := p.expect('{', "an object"); err != nil {
		return err
	}
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		key, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(':', "':'"); err != nil {
			return err
		}
		if err := value(key); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return p.fail("expected ',' or '}', found %s", p.found())
		}
	}
}

// uints parses an array of non-negative integers; the result is not nil.
func (p *scanner) uints() ([]uint64, error) {
	if err := p.expect('[', "an array"); err != nil {
		return nil, err
	}
	v := []uint64{}
	if p.peek() == ']' {
		p.i++
		return v, nil
	}
	for {
		x, err := p.uint()
		if err != nil {
			return nil, err
		}
		v = append(v, x)
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return v, nil
		default:
			return nil, p.fail("expected ',' or ']', found %s", p.found())
		}
	}
}

// uint parses a non-negative integer below 2^64.
func (p *scanner) uint() (uint64, error) {
	p.skip()
	start := p.i
	for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
		p.i++
	}
	digits := p.b[start:p.i]
	switch {
	case len(digits) == 0:
		return 0, p.fail("expected a non-negative integer, found %s", p.found())
	case p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E'):
		return 0, p.fail("expected an integer, found a fraction or exponent")
	case len(digits) > 1 && digits[0] == '0':
		return 0, p.fail("number %s with a leading zero", digits)
	}
	x, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil {
		return 0, p.fail("integer %s too large", digits)
	}
	return x, nil
}

// str parses a string.
func (p *scanner) str() (string, error) {
	if err := p.expect('"', "a string"); err != nil {
		return "", err
	}
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			return string(p.b[start : p.i-1]), nil
		case c == '\\':
			return p.escaped(append([]byte(nil), p.b[start:p.i]...))
		case c < 0x20:
			return "", p.fail("control character %#02x in a string", c)
		}
		p.i++
	}
	return "", p.fail("unterminated string")
}

// escaped parses the rest of a string from an escape at p.i, appending to
// buf.
func (p *scanner) escaped(buf []byte) (string, error) {
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.fail("control character %#02x in a string", c)
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			break
		}
		e := p.b[p.i+1]
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := p.hex4(p.i + 2)
			if !ok {
				return "", p.fail("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				r2, ok := p.hex4(p.i + 8)
				if r >= 0xdc00 || !ok || p.b[p.i+6] != '\\' || p.b[p.i+7] != 'u' || r2 < 0xdc00 || r2 > 0xdfff {
					return "", p.fail("lone surrogate in a \\u escape")
				}
				r = utf16.DecodeRune(r, r2)
				p.i += 6
			}
			buf = utf8.AppendRune(buf, r)
			p.i += 4
		default:
			return "", p.fail("invalid escape \\%c", rune(e))
		}
		p.i += 2
	}
	return "", p.fail("unterminated string")
}

// hex4 decodes the four hexadecimal digits at b[at:].
func (p *scanner) hex4(at int) (rune, bool) {
	if at+4 > len(p.b) {
		return 0, false
	}
	x, err := strconv.ParseUint(string(p.b[at:at+4]), 16, 16)
	return rune(x), err == nil
}
