//go:build (linux || freebsd) && amd64

package mem

import "golang.org/x/sys/unix"

// mapLow asks the kernel for an address in the low 2 GiB.
const mapLow = unix.MAP_32BIT
