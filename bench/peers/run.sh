#!/usr/bin/env bash
# Peers side by side, in one run: descent's Adam and SGD benchmarks, the same
# steps as a plain C loop (gcc -O3 -march=native -fno-math-errno) and
# PyTorch's torch.optim on one thread. Prints the raw benchmark lines, then a
# table of elements/s per kernel, dtype and size.
# Usage: bench/peers/run.sh [seconds per measurement]
set -euo pipefail
cd "$(dirname "$0")/../.."
t=${1:-1}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

gcc -O3 -march=native -fno-math-errno -o "$out/adam_c" bench/peers/adam.c -lm
{
	go test -run '^$' -bench '^Benchmark(Adam|SGD)$' -benchtime "${t}s" ./bench/
	"$out/adam_c" "$t"
	if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
		/usr/bin/python3 bench/peers/torch_optim.py "$t"
	else
		echo "peers: python3-torch is not installed (DESCENT_DEPS=peers make deps); PyTorch left out" >&2
	fi
} | tee "$out/lines" | grep '^Benchmark'

echo
awk '
/^Benchmark/ {
	split($1, f, "/"); k = f[1] "/" f[2] "/" f[3]; sub(/^Benchmark/, "", k)
	impl = f[4]; sub(/^impl=/, "", impl); sub(/-[0-9]+$/, "", impl)
	for (i = 2; i <= NF; i++) if ($(i) == "elem/s") v = $(i - 1)
	rate[k, impl] = v; impls[impl] = 1
	if (!(k in seen)) { seen[k] = 1; sk[++m] = k }
}
END {
	n = split("ref avx2 neon c-gcc torch", order, " ")
	printf "%-26s", "kernel/dtype/n"
	for (j = 1; j <= n; j++) if (order[j] in impls) printf " %12s", order[j]
	printf " %14s\n", "best/c-gcc"
	for (i = 1; i <= m; i++) {
		k = sk[i]; printf "%-26s", k
		best = 0
		for (j = 1; j <= n; j++) if (order[j] in impls) {
			v = rate[k, order[j]]
			if (v == "") printf " %12s", "-"; else printf " %10.1f M", v / 1e6
			if ((order[j] == "avx2" || order[j] == "neon") && v > best) best = v
		}
		c = rate[k, "c-gcc"]
		if (c > 0 && best > 0) printf " %14.2f", best / c; else printf " %14s", "-"
		printf "\n"
	}
	print "elements/s per implementation (M = 10^6); best/c-gcc = descent assembly over the C loop."
}' "$out/lines"

# Storage: Adam over 16-bit parameters and 8-bit state (descent's
# BenchmarkStorage, one thread) beside torch's bfloat16 Adam.
echo
{
	go test -run '^$' -bench '^BenchmarkStorage$/Adam/.*/threads=1$' -benchtime "${t}s" ./bench/
	if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
		/usr/bin/python3 bench/peers/torch_optim.py "$t" --storage
	fi
} | grep '^Benchmark' | awk '{
	for (i = 2; i <= NF; i++) if ($(i) == "elem/s") v = $(i - 1)
	printf "%-58s %10.1f M elem/s\n", $1, v / 1e6
}'
echo "Adam: f32 moves 28 bytes per element, bf16-master 28, 8bit and 8bit-bf16 16.06, bf16-torch 14 (no master weights)."
