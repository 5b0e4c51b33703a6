// Package optim holds descent's stateful optimizers over named float32,
// float64 and 16-bit parameters in groups with their own hyper-parameters, with
// PyTorch's defaults and semantics: SGD (momentum, dampening, Nesterov,
// weight decay, maximize), Adam, AdamW and AMSGrad, Lion, Adagrad,
// RMSprop, LAMB, Schedule-Free AdamW and Muon; plus clipping, dynamic loss scaling, learning-rate schedule hooks
// and checkpoints.
//
// # Algorithms
//
// Every optimizer is described once, by an Algorithm in a registry
// (Algorithms, Lookup): its name, its hyper-parameters (key, default,
// valid range, search hints — the keys are the checkpoint's and
// torch.optim's argument names), its state tensors with PyTorch's names
// and initial values, and, behind them, its update rule: the kernels'
// hyper-parameter struct, step scalars and kernel. Like optax's aliases
// over its transforms, several algorithms share a rule (Kind): momentum and
// nesterov are sgd's rule with other defaults or fixed switches, adamw and
// amsgrad adam's. Step, checkpoints and the packages train, tune and the
// command line read the registry; nothing else knows an algorithm, and a
// new one is one descriptor file (lion.go is the example).
//
//	sgd, momentum, nesterov   torch.optim.SGD              momentum_buffer (momentum ≠ 0)
//	adam, adamw, amsgrad      torch.optim.Adam / AdamW     exp_avg, exp_avg_sq, max_exp_avg_sq (amsgrad)
//	lion                      Lion (Chen et al. 2023)      exp_avg
//	adagrad                   torch.optim.Adagrad          sum (starts at initial_accumulator_value)
//	rmsprop                   torch.optim.RMSprop          square_avg, momentum_buffer (momentum ≠ 0), grad_avg (centered)
//	lamb                      optax.lamb                   exp_avg, exp_avg_sq
//	schedulefree              AdamWScheduleFree            z, exp_avg_sq
//	muon                      torch.optim.Muon (+AdamW)    momentum_buffer; exp_avg, exp_avg_sq (adamw groups)
//
// LAMB's trust ratio and Muon's Newton–Schulz iterations need a whole
// tensor before the elementwise pass: they run in a per-tensor phase, one
// work item per tensor, between the step's scalars and the chunked update
// (pertensor.go; lamb.go and muon.go say what each computes there).
// Schedule-Free's parameters hold y while training; Eval and Train switch
// them to the average x and back.
//
// # Storage
//
// Parameters are float32, float64, float64 with a float32 gradient
// (Float64Grad32), or 16-bit — bfloat16 or binary16 — with float32 master
// weights the optimizer keeps (Half16); a group's state is float32/float64
// or blockwise 8-bit (Group.State = State8Bit). The elementwise rules run
// their unchanged kernels over any of these through kernels.Mixed, one
// 256-element block at a time, converting in cache (storage.go); results
// are bit-identical on every implementation, like the plain steps.
// StateBytes reports the memory the optimizer keeps.
//
// New builds an optimizer of a named algorithm from groups whose
// hyper-parameters are Values by key (the others take the defaults) or the
// rule's struct of package kernels; NewSGD and NewAdam take kernels.SGD and
// kernels.Adam groups.
//
// # Contract
//
// Parameters. A Param names a data slice and its gradient slice (float32
// or float64, equal lengths). The optimizer keeps the slices: the training
// loop writes each step's gradient into them in place and reads the updated
// data from them. Names are unique and may not end in a state suffix
// (StateSuffixes: ".exp_avg" …); no two slices may overlap. New, NewSGD and
// NewAdam validate all of this, the groups' hyper-parameters (the kernels'
// Validate, and the algorithm's fixed values) and the options, and return
// an error.
//
// Semantics are torch.optim's (PyTorch 1.13), and Optax's for Lion: the
// step count starts at 1; SGD's momentum buffer takes the gradient itself on
// the first update; AdamW is Adam with kernels.Adam.Decoupled, AMSGrad with
// kernels.Adam.AMSGrad. State is allocated at construction, zeroed or at
// its initial value (Adagrad's sum). The arithmetic is the kernels'
// (package kernels): Step computes each group's scalars once
// (kernels.Adam.Scalars …) and runs one fused kernel pass per tensor; each
// tensor is bound to its kernel, for its element type, at construction.
// Numerically the results are within a few ULPs of the trajectory's scale
// of PyTorch 1.13's (see parity_test.go for the measured bounds; Lion is
// checked against the formula in float64, lion_test.go), not bit-identical
// to it.
//
// Parallelism and determinism. Step cuts tensors into chunks of ChunkElems
// elements and batches small tensors (and tails) into items of at most
// ChunkElems, a partition that depends only on the tensors' lengths; a
// persistent pool of goroutines (WithWorkers, default GOMAXPROCS; Close
// stops it) runs the items. Every result — parameters, state, the clipping
// norm — is bit-identical for any number of workers. After construction,
// Step allocates nothing (given schedules that do not). An Optimizer is not
// safe for concurrent use.
//
// Clipping and loss scaling. WithClipNorm clips by the global L2 norm as
// torch.nn.utils.clip_grad_norm_ (coefficient maxNorm/(norm+1e-6), applied
// when < 1), with the norm from kernels.SumSquares per chunk combined in a
// fixed order, and the coefficient folded into the update's gradient scale.
// WithClipValue clamps gradients in place to [−c, c] (a pure-Go loop).
// WithLossScaler is PyTorch's GradScaler: multiply the loss by Scale()
// before the backward pass; Step folds 1/scale into the update, skips steps
// with non-finite gradients (detected by SumSquares' finite flag) without
// touching parameters, state or the step count, backs the scale off (never
// below MinLossScale, 1, so that unscaling never enlarges a gradient), and
// grows it after GrowthInterval clean steps. With a scaler, the clipping
// norm is computed on the scaled gradients and divided by the scale, and the
// value clamp is applied with the bound c·scale.
//
// Embedding tables. A Group's Embeddings are tables (rows × dim) whose
// gradient is row-sparse (RowGrad: row ids, which may repeat, and a block
// of rows): Step coalesces the duplicates in a fixed order (ids sorted,
// equal ids summed in input order) and updates the touched rows alone —
// lazy Adam/AdamW/AMSGrad (torch.optim.SparseAdam's semantics), sparse SGD,
// Adagrad element-wise or row-wise (FBGEMM's EXACT_ROWWISE_ADAGRAD) —
// through the catalog's kernels, so a step costs what the batch touches,
// not the table. Clipping, the loss scaler and checkpoints include them;
// see Embedding for the exact updates and how lazy Adam differs from
// dense Adam.
//
// Schedules. A group's Schedule (see Schedule, Stateful, LossObserver;
// implementations in optim/schedule) is asked for the group's learning rate
// once per update, with the number of updates already taken.
//
// Checkpoints. Save writes the parameters, the state, the hyper-parameters,
// the schedules' and the loss scaler's state to one safetensors file,
// atomically (temporary file, fsync, rename, directory fsync; an existing
// file's permission bits kept, a new one 0600; a symbolic link followed to
// the file it names, which is replaced), with SHA-256
// checksums of the data and the header. Load verifies the file and checks
// that it matches the optimizer — kind, groups, names, dtypes, shapes,
// state tensors — before changing anything; a resumed run is bit-identical
// to an uninterrupted one. It refuses anything but a regular file and
// checks the header against the file's length, its checksum and the
// optimizer before reading the data section, so that memory is bounded by
// the optimizer's own size (plus a header of at most
// safetensors.MaxHeaderLen), whatever the file. ReadCheckpoint and Restore
// do the same in two steps for any io.Reader. They (and safetensors.Parse,
// ReadHeader beneath them) accept arbitrary input and return errors, never
// panicking.
package optim
