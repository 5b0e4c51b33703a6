#!/usr/bin/env bash
# Installs what descent's build and tests need and the machine lacks, using
# Debian's packages: a C compiler and pkg-config (cgo), OpenBLAS
# (libopenblas-dev), qemu-user (the arm64 tests) and the aarch64 binutils
# (checking the NEON WORD encodings). As root it runs apt-get; otherwise it
# says what to install and fails. Set DESCENT_DEPS=peers to add the peer
# benchmarks' PyTorch (python3-torch).
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1; }

have go || { echo "deps: Go 1.26 or later is required (https://go.dev/dl/); install it first" >&2; exit 1; }
have gcc || need+=(gcc libc6-dev)
have pkg-config || need+=(pkg-config)
if ! pkg-config --exists openblas 2>/dev/null; then need+=(libopenblas-dev); fi
have qemu-aarch64 || need+=(qemu-user)
have aarch64-linux-gnu-objdump || need+=(binutils-aarch64-linux-gnu)
if [[ ",${DESCENT_DEPS:-}," == *,peers,* ]]; then
	/usr/bin/python3 -c 'import torch' 2>/dev/null || need+=(python3-torch)
fi

if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! have apt-get; then
	echo "deps: missing packages: ${need[*]}" >&2
	echo "deps: install them (Debian/Ubuntu: sudo apt-get install ${need[*]}) and run make again" >&2
	exit 1
fi
echo "deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
