package maps

import (
	"sync"

	"golang.org/x/sys/unix"
)

// physicalMemory is the machine's memory in bytes (the kernel's
// totalram_pages), 0 when unknown.
var physicalMemory = sync.OnceValue(func() uint64 {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0
	}
	return uint64(si.Totalram) * uint64(si.Unit)
})
