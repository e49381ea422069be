#!/bin/sh
# build.sh: rebuild the autoload test object (*.o) from its C source.
exec sh "$(dirname "$0")/../../scripts/build-bpf.sh" autoload "$(dirname "$0")"
