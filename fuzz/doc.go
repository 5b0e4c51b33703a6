// Package fuzz holds descent's native Go fuzz targets: every fast path of
// package kernels against the pure-Go reference. It has no API; everything
// is in its tests.
//
// # What is fuzzed
//
// One target per kernel and element type:
//
//	FuzzSGDF32 FuzzSGDF64                 SGDStep[float32]/F64
//	FuzzMomentumF32 FuzzMomentumF64       MomentumStep[float32]/F64, heavy-ball
//	FuzzNesterovF32 FuzzNesterovF64       MomentumStep[float32]/F64, Nesterov
//	FuzzAdamF32 FuzzAdamF64               AdamStep[float32]/F64, coupled (L2) weight decay
//	FuzzAdamWF32 FuzzAdamWF64             AdamStep[float32]/F64 with AdamW's decoupled decay
//	FuzzAMSGradF32 FuzzAMSGradF64         AMSGradStep[float32]/F64, either decay
//	FuzzSumSquaresF32 FuzzSumSquaresF64   SumSquares[float32]/F64 and its finite flag
//	FuzzDotF32 FuzzDotF64                 Dot[float32]/F64
//	FuzzAxpyF32 FuzzAxpyF64               Axpy[float32]/F64
//	FuzzScaleF32 FuzzScaleF64             Scale[float32]/F64
//
// Each target decodes from its input ([]byte plus typed arguments; the
// comments on fuzzAdam, fuzzSGD and the reduction targets list them) a
// slice length (0 to 4096), each slice's element offset (0 to 15) inside a
// buffer whose other elements are sentinel NaNs, the element values
// (moderate ones, ±0, subnormals, values near the largest finite, ±Inf, NaN
// with any payload, any bit pattern; past the end of the bytes, moderate
// pseudo-random values seeded by the input), and hyper-parameters: built
// through kernels.Adam / kernels.SGD and their Scalars methods from any
// float64s (lr = 0, β = 0, β near 1, tiny ε, gradient scale 0 or huge,
// weight decay, maximize, any step count), and optionally with chosen
// fields of AdamScalars / SGDScalars replaced by arbitrary float64s, since
// the kernels accept any.
//
// Each input runs under every implementation in kernels.Available()
// (kernels.SetImpl, restored afterwards), and the target fails if any
// implementation writes outside its slices or its outputs and results differ
// from the "generic" reference's.
//
// Equality is the kernels' contract: bit for bit, so +0 and −0 differ,
// except that any NaN equals any NaN whatever its payload and sign (the
// assembly and the reference may produce different NaNs).
//
// # Catalog targets
//
// Every elementwise kernel of the catalog (kernels.Catalog: SGD, Momentum,
// Adam, AMSGrad, Lion, Adagrad, RMSprop, Axpy, Scale, and any kernel added
// to the descriptions) has a target per element type,
// FuzzKernel<Kernel>F32 and FuzzKernel<Kernel>F64, generated into
// kernels_gen_test.go by internal/fuzzgen (go generate ./fuzz). They run
// each implementation's kernel through kernels.Bind with raw coefficients,
// one per slot (the typical one, a value of any class, any bits, or the
// typical one with its low bits changed), any combination of the kernel's
// variant flags (an optional stream the flags leave unused is nil), and
// the streams' values decoded as above, at any length and offsets, with
// guard bands; outputs must equal the reference's bit for bit. Their seeds
// (f.Add in fuzzKernel) cover every flag combination and special values
// and coefficients. TestCatalogTargets fails if a catalog kernel has no
// target (a reduction: no hand-written one) or a target names no catalog
// kernel.
//
// Each hand-written target also checks properties that need no reference and hold
// exactly, on the reference's result: nothing written outside the slices;
// for valid hyper-parameters, finite inputs and magnitudes within stated
// bounds, finite new parameters and state (m, v ≥ 0, vmax, momentum buffer);
// lr = 0 leaves parameters numerically unchanged; the first momentum step
// ignores the old buffer and its heavy-ball update equals SGD's; the
// SumSquares finite flag equals "every element is finite" and its sum is
// NaN exactly when an element is, else ≥ +0 and ≥ every square; Dot
// commutes, is odd in y and Dot(x, x) ≥ 0 (float64: equals SumSquares[float64]'s
// sum bit for bit); Axpy with a = 0 or 1 and Scale with a = 0, ±1. The doc
// comment of each check states the exact condition under which it applies.
//
// # Portability of the reference
//
// Fuzzing compares implementations on one machine; it cannot see a
// reference that the compiler builds differently on another architecture
// (Go fuses x*y + z into an FMA on arm64 unless the product is converted
// explicitly). TestReferencePortable hashes the reference's outputs (every
// kernel through its public API, every elementwise kernel of the catalog in
// every flag combination through kernels.Bind, and the Scalars methods of
// Adam, SGD, Lion, Adagrad and RMSprop) on inputs built exactly from integers and
// compares them with testdata/reference.golden, written on amd64 (where Go
// never fuses) with -update; run it under GOARCH=arm64 with qemu.
//
// # Running
//
// Plain go test replays the seed corpus (testdata/fuzz/<Target>/, written
// by internal/seedgen: lengths around every unroll boundary at several
// offsets, special values, extreme hyper-parameters) in a few seconds:
//
//	go test ./fuzz/...
//	go test -tags purego ./fuzz/...
//	CGO_ENABLED=0 GOARCH=arm64 go test -exec qemu-aarch64 ./fuzz/...
//
// Coverage-guided fuzzing takes one target at a time; run.sh runs them all
// in turn, fails if any finds a failing input, and prints each target's
// executions per second (a run shorter than 10s per target, as make test's,
// leaves out the F64 catalog targets; see run.sh):
//
//	fuzz/run.sh 10s               # every target for 10s
//	fuzz/run.sh 30s FuzzAdamF32   # only the targets named
//	go test ./fuzz -run '^$' -fuzz '^FuzzAdamF32$' -fuzztime 1m -parallel 2
//
// A failing input is written to testdata/fuzz/<Target>/; committed, it is
// replayed by every later go test. To regenerate the seed corpus:
//
//	go run ./fuzz/internal/seedgen -dir fuzz/testdata/fuzz
//
// (it writes only files named seed-*, leaving found inputs alone).
//
// # Linear models
//
// FuzzLinearF32 and FuzzLinearF64 decode a model of package linear (least
// squares, ridge, logistic, softmax with 2 to 6 classes), intercept, λ, m
// (1 to 64) rows, n (1 to 12) features, θ, labels (valid, soft, invalid)
// and X from the input, and run Loss and LossGrad under every backend in
// blas.Available() and every block size (1, a small one, the default,
// linear.NoBlocking). They check exactly: the documented panics (bad
// lengths, invalid λ) and no others; θ, X, y untouched; Check's error, and
// ErrNonFinite/ErrLabel, against the truth; non-finite data give a
// non-finite loss; valid labels never a negative one; moderate inputs
// finite results; and gradient and loss against a naive float64 reference
// within linear's documented bound, widened by the documented error of the
// elementwise functions and by the logits' rounding carried through the
// residual, which the doc's bound leaves out (linear_test.go derives each
// term). DESCENT_FUZZ_STRICT_DOC=1 checks the doc literally instead, and the
// corpus inputs seed-linear-doc* and the found ones that fail then show
// where it does not hold.
// (Checkpoint loading is fuzzed in its own package: optim's
// FuzzLoadCheckpoint, which run.sh runs too.)
package fuzz

//go:generate go run ./internal/fuzzgen -out kernels_gen_test.go
