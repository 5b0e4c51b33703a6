#!/usr/bin/env bash
# Runs every fuzz target of the fuzzed packages (./fuzz and every package
# with outside input: ./optim's checkpoint loader, ./datasets' CSV loader,
# ./safetensors' parser) in turn (go test -fuzz takes one
# target at a time) for the given time each, prints each target's
# executions per second, and exits non-zero if any target fails (a failing
# input is then in fuzz/testdata/fuzz/<Target>/, to be committed with the fix).
#
#   fuzz/run.sh [FUZZTIME] [TARGET...]
#
#   FUZZTIME  per target, as go test -fuzztime takes it: 10s, 1m, 5000x (default 10s)
#   TARGET    names of targets to run, as PKG:Fuzz… or Fuzz… (in ./fuzz)
#             (default: every one go test -list finds in FUZZ_PKGS)
#
# The catalog targets of ./fuzz (FuzzKernel<Kernel>F32/F64, one per
# elementwise kernel of kernels.Catalog and element type, generated) are
# found like the others. A short run (FUZZTIME a plain number of seconds or
# milliseconds under 10s, as make test's) leaves out their F64 half, to keep
# make test's fuzzing within a few minutes: the F64 kernels are fuzzed by
# the F64 hand-written targets (every kernel with a public API before the
# catalog) and by every longer run, and their catalog seeds replay in go
# test. FUZZ_CATALOG_F64=1 keeps them in a short run, =0 drops them from a
# long one; targets named on the command line always run.
#
# Environment: GO (default go), FUZZ_PKGS (default "./fuzz ./optim ./datasets ./safetensors"),
# FUZZ_PARALLEL (go test -parallel, default 2), FUZZ_CATALOG_F64 (see above),
# FUZZ_MINIMIZETIME (go test -fuzzminimizetime, default 2s), FUZZ_FLAGS
# (extra go test flags, e.g. -tags purego).
#
# The minimize time bounds how long the engine shrinks each input that adds
# coverage (and a failing one): with go's default of 60s a single large new
# input can stall a short run for its whole duration.
#
# go test -fuzz builds the test binary with coverage instrumentation for
# every target; the build (mostly cached after the first) is on top of
# FUZZTIME. The per-target wall time is printed too.
set -euo pipefail

fuzztime=${1:-10s}
shift || true
go=${GO:-go}
parallel=${FUZZ_PARALLEL:-2}
minimize=${FUZZ_MINIMIZETIME:-2s}
read -r -a flags <<<"${FUZZ_FLAGS:-}"

cd "$(dirname "$0")/.."
read -r -a pkgs <<<"${FUZZ_PKGS:-./fuzz ./optim ./datasets ./safetensors}"

# A short run: FUZZTIME in whole seconds or milliseconds, under 10s.
catalog_f64=${FUZZ_CATALOG_F64:-}
if [ -z "$catalog_f64" ]; then
	catalog_f64=1
	ms=
	if [[ $fuzztime =~ ^([0-9]+)s$ ]]; then
		ms=$((10#${BASH_REMATCH[1]} * 1000))
	elif [[ $fuzztime =~ ^([0-9]+)ms$ ]]; then
		ms=$((10#${BASH_REMATCH[1]}))
	fi
	if [ -n "$ms" ] && [ "$ms" -lt 10000 ]; then
		catalog_f64=0
	fi
fi

targets=() skipped=()
if [ $# -gt 0 ]; then
	for t in "$@"; do
		case $t in
		*:*) targets+=("$t") ;;
		*) targets+=("./fuzz:$t") ;;
		esac
	done
else
	for p in "${pkgs[@]}"; do
		[ -d "$p" ] || continue
		while read -r t; do
			if [ "$catalog_f64" = 0 ] && [[ $t =~ ^FuzzKernel.*F64$ ]]; then
				skipped+=("$t")
				continue
			fi
			targets+=("$p:$t")
		done < <("$go" test "${flags[@]}" -list '^Fuzz' "$p" | grep '^Fuzz' || true)
	done
fi
if [ ${#targets[@]} -eq 0 ]; then
	echo "run.sh: no fuzz targets found in ${pkgs[*]}" >&2
	exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# nfiles prints how many files the directory holds (0 if it does not exist).
nfiles() {
	if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi
}

failed=()
start=$SECONDS
printf '%-30s %12s %12s %8s  %s\n' target execs execs/s wall result
for pt in "${targets[@]}"; do
	pkg=${pt%%:*} t=${pt#*:}
	t0=$SECONDS
	rc=0
	corpus="$pkg/testdata/fuzz/$t"
	before=$(nfiles "$corpus")
	"$go" test "${flags[@]}" "$pkg" -run '^$' -fuzz "^${t}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" -parallel "$parallel" >"$log" 2>&1 || rc=$?
	# Go 1.26's fuzz coordinator can report "context deadline exceeded" as a
	# failure when -fuzztime ends while a worker is mid-call, with no failing
	# input (go.dev/issue/75804, fixed in Go 1.27). A real failure always
	# writes its input to testdata/fuzz/<Target>/: without a new file there,
	# that error is the coordinator's, and the run counts as passed.
	flake=
	if [ $rc -ne 0 ] && grep -q '^    context deadline exceeded$' "$log" && ! grep -q 'Failing input written to' "$log" &&
		[ "$(nfiles "$corpus")" -eq "$before" ]; then
		rc=0 flake=" (go#75804 deadline error ignored)"
	fi
	# The last progress line: "fuzz: elapsed: 10s, execs: 123456 (12345/sec), new interesting: …"
	line=$(grep -E '^fuzz: elapsed: .*execs: [0-9]+ \([0-9]+/sec\)' "$log" | tail -n 1 || true)
	# (X/sec) there is the rate of the last interval only, 0 in the final
	# line: the average is execs over elapsed (a Go duration: 1m0s, 10s).
	execs=$(sed -nE 's/.*execs: ([0-9]+) .*/\1/p' <<<"$line")
	elapsed=$(sed -nE 's/^fuzz: elapsed: ([0-9hms.]+),.*/\1/p' <<<"$line")
	rate=$(awk -v e="$execs" -v d="$elapsed" 'BEGIN {
		s = 0
		if (match(d, /[0-9.]+h/)) s += 3600 * substr(d, RSTART, RLENGTH - 1)
		if (match(d, /[0-9.]+m/)) s += 60 * substr(d, RSTART, RLENGTH - 1)
		if (match(d, /[0-9.]+s/)) s += substr(d, RSTART, RLENGTH - 1)
		if (e == "" || s == 0) print "-"; else printf "%d", e / s
	}')
	if [ $rc -eq 0 ]; then
		result=ok$flake
	else
		result=FAIL
		failed+=("$pkg:$t")
	fi
	printf '%-30s %12s %12s %7ss  %s\n' "${pkg#./}.$t" "${execs:--}" "${rate:--}" $((SECONDS - t0)) "$result"
	if [ $rc -ne 0 ]; then
		sed 's/^/    /' "$log"
	fi
done
echo "total wall time: $((SECONDS - start))s for ${#targets[@]} targets at $fuzztime each"
if [ ${#skipped[@]} -gt 0 ]; then
	echo "short run: ${#skipped[@]} catalog F64 targets left out (FUZZ_CATALOG_F64=1 runs them): ${skipped[*]}"
fi
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAIL: ${failed[*]} (failing inputs are under <pkg>/testdata/fuzz/<Target>/)" >&2
	exit 1
fi
