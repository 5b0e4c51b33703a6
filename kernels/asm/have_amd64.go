//go:build !purego

package asm

// HaveAVX2 reports whether this build contains the AVX2 kernels. Whether the
// CPU can run them is for package kernels to decide.
const HaveAVX2 = true
