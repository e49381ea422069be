package helpers

import (
	"golang.org/x/sys/unix"
)

// detectVirtualAddressBits asks the kernel whether it maps user memory
// above 2^47. With five-level paging a mapping requested at a fixed
// address there succeeds (or collides with one that exists: EEXIST);
// with four-level paging the address lies beyond TASK_SIZE and mmap
// fails with ENOMEM.
func detectVirtualAddressBits() uint {
	const probe = 1 << 52
	page := uintptr(unix.Getpagesize())
	addr, _, errno := unix.Syscall6(unix.SYS_MMAP, probe, page, unix.PROT_NONE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_FIXED_NOREPLACE, ^uintptr(0), 0)
	switch {
	case errno == 0 && addr == probe:
		unix.Syscall(unix.SYS_MUNMAP, addr, page, 0)
		return 57
	case errno == 0:
		// A kernel without MAP_FIXED_NOREPLACE treats the address as a
		// hint and places the mapping below 2^47.
		unix.Syscall(unix.SYS_MUNMAP, addr, page, 0)
		return 48
	case errno == unix.EEXIST:
		return 57
	}
	return 48
}
