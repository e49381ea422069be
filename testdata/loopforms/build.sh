#!/bin/sh
# build.sh: rebuild loopforms.o from loopforms.c (loopforms_test.go at the
# repository root).
exec sh "$(dirname "$0")/../../scripts/build-bpf.sh" loopforms "$(dirname "$0")"
