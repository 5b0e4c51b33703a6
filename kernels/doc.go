// Package kernels holds descent's fused optimizer kernels: allocation-free
// updates and reductions on float32 and float64 slices, each one pass over
// memory, with PyTorch's semantics.
//
// # Kernels
//
// SGDStep, MomentumStep (heavy-ball and Nesterov), AdamStep (and AdamW
// through its scalars), AMSGradStep, LionStep, AdagradStep and RMSpropStep
// update parameters in place; every update takes the gradient multiplied by
// a scale folded into the same pass (a loss scaler's 1/scale, a clipping
// coefficient, −1 to maximize). SumSquares (with the all-finite check
// clipping and loss scaling need), Dot, Axpy and Scale are the reductions
// and vector operations around them. Every kernel is generic over the
// element type, float32 or float64.
//
// Hyper-parameters live in SGD, Adam, Lion, Adagrad and RMSprop; their
// Scalars methods compute the step-dependent scalars once, in float64, and
// each kernel rounds them once to the element type, slot by slot, before
// any implementation runs.
//
// # Catalog
//
// Every elementwise kernel is described once (streams, coefficient slots,
// variant flags, body) in kernels/internal/asm/_gen/spec, and its AVX2,
// AVX-512 and NEON assembly, its table entry and its catalog entry are
// generated from that description. Catalog lists the kernels; Bind runs any
// of them on any implementation with raw coefficients, for tests, fuzzing
// and benchmarks.
//
// # Implementations
//
// Each kernel has a pure-Go reference loop (quoted in its doc comment) that
// is the specification, and assembly versions (AVX2 on amd64, with an
// opt-in AVX-512 version of the updates; NEON on arm64) that give
// bit-identical results: the same IEEE operations in the same
// order, no fused multiply-add, reductions in one canonical order. NaN
// results are NaN in every implementation; their payload and sign may differ.
// Each implementation is one table of functions per element type. It is
// chosen once from the CPU's features (Impl reports it), can be forced with
// SetImpl or the DESCENT_IMPL environment variable, and -tags purego builds
// no assembly at all.
//
// Slices passed to one call must not overlap, except where noted. Mismatched
// lengths panic with a message naming the function and the lengths.
package kernels
