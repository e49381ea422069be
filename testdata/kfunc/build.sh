#!/bin/sh
# build.sh: rebuild the kfunc test objects (*.o) from their C sources.
exec sh "$(dirname "$0")/../../scripts/build-bpf.sh" kfunc "$(dirname "$0")"
