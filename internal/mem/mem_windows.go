//go:build windows

package mem

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// reserve allocates size bytes of inaccessible memory (reserved and
// committed, PAGE_NOACCESS); with low, below 4 GiB.
func reserve(size int, low bool) ([]byte, error) {
	if !low {
		return virtualAlloc(0, size)
	}
	for _, hint := range lowHints() {
		// VirtualAlloc at a given address fails unless the whole range is
		// free, so a success is exactly where it was asked for.
		if m, err := virtualAlloc(hint, size); err == nil {
			if isLow(m) {
				return m, nil
			}
			release(m)
		}
	}
	return nil, fmt.Errorf("no memory below 4 GiB for %d bytes", size)
}

func virtualAlloc(addr uintptr, size int) ([]byte, error) {
	p, err := windows.VirtualAlloc(addr, uintptr(size), windows.MEM_RESERVE|windows.MEM_COMMIT, windows.PAGE_NOACCESS)
	if err != nil {
		return nil, fmt.Errorf("VirtualAlloc %d bytes: %w", size, err)
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), p)), size), nil
}

// protectReadWrite makes the pages of b readable and writable.
func protectReadWrite(b []byte) error {
	var old uint32
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	if err := windows.VirtualProtect(addr, uintptr(len(b)), windows.PAGE_READWRITE, &old); err != nil {
		return fmt.Errorf("VirtualProtect: %w", err)
	}
	return nil
}

// release frees a mapping made by reserve.
func release(m []byte) error {
	return windows.VirtualFree(uintptr(unsafe.Pointer(unsafe.SliceData(m))), 0, windows.MEM_RELEASE)
}
