#!/bin/sh
# build.sh: rebuild the recursion test objects (*.o) from their C sources
# (recursion_test.go at the repository root).
exec sh "$(dirname "$0")/../../scripts/build-bpf.sh" recursion "$(dirname "$0")"
