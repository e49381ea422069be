package mem

import "syscall"

// mapLow asks for an address in the low 2 GiB.
const mapLow = syscall.MAP_32BIT
