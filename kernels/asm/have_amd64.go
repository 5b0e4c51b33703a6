//go:build !purego

package asm

// HaveAVX2 and HaveAVX512 report whether this build contains the AVX2 and
// AVX-512 kernels. Whether the CPU can run them is for package kernels to
// decide.
const (
	HaveAVX2   = true
	HaveAVX512 = true
)
