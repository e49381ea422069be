#!/bin/sh
# build.sh: rebuild the benchmark objects (*.o) from their C sources; run by
# `go generate ./bench` or directly.
exec sh "$(dirname "$0")/../../scripts/build-bpf.sh" bench "$(dirname "$0")"
