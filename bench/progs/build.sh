#!/bin/sh
# build.sh: rebuild the benchmark objects (*.o) from their C sources.
#
# Run by `go generate ./bench` or directly. The objects are committed, so
# neither `go test` nor `ebpfvm bench` needs clang; rerun this when a source
# changes. It needs clang-19 (or $CLANG) and the libbpf headers
# (Debian: apt-get install -y clang-19 llvm-19 libbpf-dev).
set -eu
cd "$(dirname "$0")"

CLANG=${CLANG:-clang-19}
if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "bench: $CLANG not found; NOT rebuilding bench/progs/*.o (the committed objects are used)." >&2
	echo "bench: install it with: apt-get install -y clang-19 llvm-19 libbpf-dev" >&2
	exit 0
fi
if [ ! -f /usr/include/bpf/bpf_helpers.h ]; then
	echo "bench: /usr/include/bpf/bpf_helpers.h not found; NOT rebuilding (apt-get install -y libbpf-dev)." >&2
	exit 0
fi

# asm/ headers live in the multiarch directory on Debian.
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
for src in *.c; do
	obj=${src%.c}.o
	echo "bench: $CLANG $src -> $obj"
	"$CLANG" -O2 -g -target bpf -mcpu=v3 -Wall -Werror \
		-I. -I"/usr/include/$MULTIARCH" \
		-c "$src" -o "$obj"
done
