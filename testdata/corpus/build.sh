#!/bin/sh
# build.sh: rebuild the corpus objects (*.o) from their C sources; run by
# `go generate ./internal/testing/corpus` or directly.
exec sh "$(dirname "$0")/../../scripts/build-bpf.sh" corpus "$(dirname "$0")"
