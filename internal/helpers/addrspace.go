package helpers

import "sync"

// virtualAddressBits is the width of virtual addresses in the running
// kernel's page tables: 48 with four-level paging, 57 with five-level
// paging (LA57). x86-64's TASK_SIZE_MAX, and with it the boundary between
// user and kernel addresses that bpf_probe_read_kernel checks, follows it.
// It is detected once, at first use (detectVirtualAddressBits); where it
// cannot be detected it is 48, the layout of nearly every machine.
var virtualAddressBits = sync.OnceValue(detectVirtualAddressBits)

// kernelAddressAllowed reports whether x86-64's
// copy_from_kernel_nofault_allowed lets a nofault kernel read start at
// addr under a bits-wide virtual address space: not the user half (nor
// the guard page above it), not the vsyscall page, and canonical, that
// is, bits 63 down to bits-1 all set.
func kernelAddressAllowed(addr uint64, bits uint) bool {
	const vsyscall = 0xffffffffff600000
	if addr&^0xfff == vsyscall {
		return false
	}
	return addr >= ^uint64(0)<<(bits-1)
}
