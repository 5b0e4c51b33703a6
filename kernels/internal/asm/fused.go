package asm

// Fused holds one implementation's fused storage lowerings (generated in
// _gen/fused.go): each runs its kernel over nblk whole blocks of 256
// elements with 8-bit state (Q8), and for the BF16 ones a bfloat16
// gradient and copy, exactly as kernels' staged mixed step does. The
// argument vector a holds the addresses of the parameters, the gradient,
// the copy (or 0), then per state stream its codes, its block maxima and
// (first stream's entry only) the scratch blocks, one 256-element float32
// block per state stream, consecutive. Nil where an implementation has
// none.
type Fused struct {
	AdamQ8, AdamQ8BF16 func(nblk int, a *[9]uintptr, c [AdamN]float32, flags uint64)
	LionQ8, LionQ8BF16 func(nblk int, a *[6]uintptr, c [LionN]float32, flags uint64)
}

// The fused lowerings of the amd64 implementations; nil in builds without
// them.
var FusedAVX2, FusedAVX512 *Fused
