# descent's build, test and benchmark entry points. `make test` is what CI
# runs (through .ci/run); it installs what is missing first (scripts/deps.sh).

GO        ?= go
FUZZTIME  ?= 10s
# Per-target fuzzing time inside `make test`: every target, all together
# within about two minutes (make fuzz runs them longer).
TESTFUZZTIME ?= 2s
BENCHTIME ?= 1s
# The arm64 suite under qemu-user (cgo off: pure-Go BLAS): every package on
# a Neoverse N1, and the kernel suite again on a Cortex-A53.
ARM64_PKGS ?= ./...
ARM64_KERNEL_PKGS ?= ./kernels/...
# The purego run: the packages whose code the tag changes (the kernels'
# dispatch: reference loops everywhere) and those that run the kernels'
# results through their own checks (fuzz, optim, train); the others have
# no assembly path and ran in test-amd64.
PUREGO_PKGS ?= ./kernels/... ./fuzz/... ./optim/... ./train/...

export GOFLAGS := -buildvcs=false

.PHONY: all deps test vet fmt-check tidy-check generate generate-check test-amd64 test-purego test-noopenblas \
        test-nocgo test-arm64 test-race fuzz fuzz-short bench bench-smoke peers run clean

all: test

deps:
	@bash scripts/deps.sh

test: deps fmt-check tidy-check vet generate-check test-amd64 test-purego test-noopenblas test-nocgo test-race test-arm64 fuzz-short bench-smoke
	@echo "make test: all checks passed"

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# go.mod and go.sum must be what go mod tidy makes of them: every direct
# requirement without "// indirect", none missing or unused. The tidied
# files are left in place, to be committed. (The generators' module under
# kernels' _gen directory has its own go.mod and is not checked here.)
tidy-check:
	$(GO) mod tidy
	@if ! git diff --exit-code -- go.mod go.sum; then \
		echo "go.mod/go.sum are not tidy: go mod tidy changed them as shown above; commit the result"; exit 1; fi; \
	echo "go.mod and go.sum are tidy"

vet:
	$(GO) vet ./...
	$(GO) vet -tags purego ./...
	CGO_ENABLED=0 GOARCH=arm64 $(GO) vet ./...

# Generated code (avo assembly, NEON words, wrappers) must be what the
# generators write now.
generate:
	$(GO) generate ./...

generate-check: generate
	@gen=$$(grep -rlE --include='*.go' --include='*.s' --include='*.md' '^(// |<!-- )Code generated .* DO NOT EDIT' . | grep -v '^./.git/'); \
	if ! git diff --quiet -- $$gen || [ -n "$$(git ls-files --others --exclude-standard -- $$gen)" ]; then \
		echo "generated files differ from the committed ones (run make generate and commit):"; \
		git status --short -- $$gen; exit 1; fi; \
	echo "generated files are up to date ($$(echo $$gen | wc -w) files)"

test-amd64:
	$(GO) test -count=1 ./...

test-purego:
	$(GO) test -count=1 -tags purego $(PUREGO_PKGS)

test-noopenblas:
	$(GO) test -count=1 -tags noopenblas ./blas/... ./linear/... ./datasets/...

test-nocgo:
	CGO_ENABLED=0 $(GO) build ./...

test-race:
	$(GO) test -count=1 -race -short ./optim/... ./kernels/... ./train/... ./tune/...

test-arm64:
	@echo "arm64 under qemu-aarch64, QEMU_CPU=neoverse-n1: every package"
	QEMU_CPU=neoverse-n1 CGO_ENABLED=0 GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64 $(ARM64_PKGS)
	@echo "arm64 under qemu-aarch64, QEMU_CPU=cortex-a53: kernels"
	QEMU_CPU=cortex-a53 CGO_ENABLED=0 GOARCH=arm64 $(GO) test -count=1 -exec qemu-aarch64 $(ARM64_KERNEL_PKGS)

fuzz-short:
	bash fuzz/run.sh $(TESTFUZZTIME)

fuzz:
	bash fuzz/run.sh $(FUZZTIME)

# Every benchmark once, short sizes only: they must run, not be timed.
bench-smoke:
	$(GO) test -count=1 -run '^$$' -bench . -benchtime 1x -short ./bench/...

bench:
	$(GO) test -run '^$$' -bench . -benchtime $(BENCHTIME) ./bench/...

clean:
	$(GO) clean -testcache

# The main job: train on the embedded data set, then show the kernels' speed.
run: deps
	$(GO) run ./cmd/descent train
	$(GO) run ./cmd/descent bench --quick

# descent beside a plain C loop and PyTorch, one run (PEERTIME seconds each).
PEERTIME ?= 1
peers:
	DESCENT_DEPS=peers bash scripts/deps.sh
	bash bench/peers/run.sh $(PEERTIME)
