// Package safetensors reads and writes the safetensors tensor format
// (https://github.com/huggingface/safetensors), the file format of
// descent's optimizer checkpoints:
//
//	8 bytes     N, the header's length, unsigned little-endian
//	N bytes     a JSON object, UTF-8, starting with '{' and possibly padded
//	            with spaces: {"__metadata__": {string: string, …},
//	            "<tensor>": {"dtype": "F32", "shape": [d0, …],
//	            "data_offsets": [begin, end]}, …}
//	the rest    the data section; each tensor's bytes, little-endian and
//	            row-major, at [begin, end) relative to its start
//
// Tensors may not overlap and must cover the data section without holes.
//
// Parse checks the whole structure of a file held in memory and returns an
// error, never panicking, for any input that breaks it (it is fuzzed). Its
// JSON is as strict as the reference implementation's: keys match exactly
// (a tensor's keys are dtype, shape and data_offsets; "DTYPE" or "Shape" is
// an unknown key and an error), no key appears twice in an object (tensor,
// metadata or entry key), metadata values are strings, dimensions and
// offsets non-negative integers, and the header valid UTF-8.
// ReadHeader and File.ReadData read a file from an io.Reader in two steps:
// the header, checked against the file's size before it is allocated, and
// then, once the caller has checked the header, the data section.
// Write streams float32 and float64 tensors (Of) to an io.Writer with a
// header padded to a multiple of 8 bytes, so that every tensor's data is
// 8-byte aligned in the file. Decode copies a tensor's little-endian bytes
// into a float slice.
package safetensors
