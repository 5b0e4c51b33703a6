// Package asm holds the assembly kernels of package kernels, their Go
// declarations, and the tables that list them per implementation. It is
// internal: package kernels checks lengths, rounds the coefficients and
// chooses the table.
//
// Every elementwise kernel is described once, in _gen/spec (streams,
// coefficient slots, variant flags and a body of IEEE operations), and
// lowered by the generators to AVX2 and AVX-512 (_gen, with avo) and to NEON
// (_gen/neon, which emits the vector instructions Go 1.26's assembler lacks
// as WORD directives). The same descriptions give the slot layout
// (layout.go), the table type (table.go) and the catalog (catalog.go).
// Every kernel implements, operation for operation, the reference loop in
// package kernels named in its catalog entry, and gives bit-identical
// results. The caller guarantees that every slice in use is at least as long
// as the first one (whose length is loaded) and that the slices do not
// overlap.
//
// The storage conversions (Conv, declared in conv.go) are lowered by hand in
// _gen/conv.go to AVX2 and AVX-512F and in _gen/neon/conv.go to NEON;
// conv_amd64.go and conv_arm64.go, generated with them, hold their Go
// wrappers (the last, partial group of elements goes through a buffer) and
// set ConvAVX2, ConvAVX512 and ConvNEON.
//
// Every file here except this one, conv.go and the tests is generated: do
// not edit them; change _gen and run go generate.
package asm

//go:generate go run -C _gen . -out ../avx_amd64.s -stubs ../avx_amd64.go -pkg asm -layout ../layout.go -table ../table.go -catalog ../catalog.go -tables ../tables_amd64.go -conv ../conv_amd64.go -fallback ../tables_noavx.go -docs ../../../../docs/kernels.md
//go:generate go run -C _gen ./neon -out ../neon_arm64.s -stubs ../neon_arm64.go -tables ../tables_arm64.go -conv ../conv_arm64.go -fallback ../tables_noneon.go
