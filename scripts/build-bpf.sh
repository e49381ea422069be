#!/bin/sh
# build-bpf.sh LABEL DIR: rebuild DIR/*.o from DIR/*.c with clang -target bpf.
#
# The objects are committed, so `go test` never needs clang; the go:generate
# steps of internal/testing/corpus and bench call this only to rebuild after a
# source changes. It needs clang-19 (or $CLANG) and the libbpf headers
# (Debian: apt-get install -y clang-19 llvm-19 libbpf-dev); without them it
# says so and keeps the committed objects.
set -eu
label=$1
cd "$2"

CLANG=${CLANG:-clang-19}
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "$label: $CLANG not found; NOT rebuilding $2/*.o (the committed objects are used)." >&2
	echo "$label: install it with: apt-get install -y clang-19 llvm-19 libbpf-dev" >&2
	exit 0
fi
if [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
	echo "$label: /usr/include/bpf/bpf_helpers.h not found; NOT rebuilding (apt-get install -y libbpf-dev)." >&2
	exit 0
fi

# asm/ headers live in the multiarch directory on Debian.
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
for src in *.c; do
	obj=${src%.c}.o
	echo "$label: $CLANG $src -> $obj"
	"$CLANG" -O2 -g -target bpf -mcpu=v3 -Wall -Werror \
		-I. -I"/usr/include/$MULTIARCH" \
		-c "$src" -o "$obj"
done
