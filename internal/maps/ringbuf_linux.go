package maps

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapTwice maps size bytes of shared memory (a memfd) twice in a row,
// between two guard pages, as the kernel vmaps a ring buffer's data pages:
// the byte at data+size+i is the byte at data+i.
func mapTwice(size uintptr) (data unsafe.Pointer, unmap func(), err error) {
	fd, err := unix.MemfdCreate("ebpfvm-ringbuf", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, err
	}
	defer unix.Close(fd)
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return nil, nil, err
	}
	page := uintptr(os.Getpagesize())
	total := 2*size + 2*page
	base, err := unix.MmapPtr(-1, 0, nil, total, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANON)
	if err != nil {
		return nil, nil, err
	}
	unmap = func() { unix.MunmapPtr(base, total) }
	data = unsafe.Add(base, page)
	for i := range uintptr(2) {
		if _, err := unix.MmapPtr(fd, 0, unsafe.Add(data, i*size), size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_FIXED); err != nil {
			unmap()
			return nil, nil, err
		}
	}
	return data, unmap, nil
}
