//go:build linux && (amd64 || arm64)

package verifier

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// createKernelMap creates a map with BPF_MAP_CREATE for the kernel side of
// the corpus test (internal/kernel loads programs but makes no maps).
func createKernelMap(m *Map) (int, error) {
	attr := struct {
		mapType, keySize, valueSize, maxEntries, flags, innerFD, numa uint32
		name                                                          [16]byte
	}{uint32(m.Type), m.KeySize, m.ValueSize, m.MaxEntries, m.Flags, 0, 0, [16]byte{}}
	copy(attr.name[:15], m.Name)
	r, _, errno := unix.Syscall(unix.SYS_BPF, 0, uintptr(unsafe.Pointer(&attr)), unsafe.Sizeof(attr))
	if errno != 0 {
		return -1, errno
	}
	return int(r), nil
}

func closeFD(fd int) { unix.Close(fd) }
