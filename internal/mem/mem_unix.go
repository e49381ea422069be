//go:build unix

package mem

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// reserve maps size bytes of inaccessible memory; with low, below 4 GiB.
func reserve(size int, low bool) ([]byte, error) {
	flags := unix.MAP_PRIVATE | unix.MAP_ANON
	if low {
		flags |= mapLow
	}
	m, err := unix.Mmap(-1, 0, size, unix.PROT_NONE, flags)
	if err != nil {
		return nil, fmt.Errorf("mmap %d bytes: %w", size, err)
	}
	if !low || isLow(m) {
		return m, nil
	}
	unix.Munmap(m)
	return reserveAtHint(size)
}

// reserveAtHint asks for a mapping at each low hint address in turn (a hint,
// not MAP_FIXED: nothing already mapped is replaced) and keeps the first one
// the system places below 4 GiB.
func reserveAtHint(size int) ([]byte, error) {
	for _, hint := range lowHints() {
		p, err := unix.MmapPtr(-1, 0, unsafe.Add(unsafe.Pointer(nil), hint), uintptr(size), unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANON)
		if err != nil {
			continue
		}
		m := unsafe.Slice((*byte)(p), size)
		if isLow(m) {
			return m, nil
		}
		unix.Munmap(m)
	}
	return nil, fmt.Errorf("no memory below 4 GiB for %d bytes", size)
}

// protectReadWrite makes the pages of b readable and writable.
func protectReadWrite(b []byte) error {
	if err := unix.Mprotect(b, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		return fmt.Errorf("mprotect: %w", err)
	}
	return nil
}

// release unmaps a mapping made by reserve.
func release(m []byte) error { return unix.Munmap(m) }
