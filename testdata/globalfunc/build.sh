#!/bin/sh
# build.sh: rebuild the global function test objects (*.o) from their C
# sources (globalfunc_test.go at the repository root).
exec sh "$(dirname "$0")/../../scripts/build-bpf.sh" globalfunc "$(dirname "$0")"
