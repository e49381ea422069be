// Package mem holds the memory that eBPF programs address: buffers allocated
// off the Go heap, the table of regions a run may touch, and raw loads,
// stores and atomics on program addresses.
//
// Programs see real host addresses, as in the kernel. Everything a program
// can address lives in memory that the Go garbage collector does not manage
// (mmap'd pages), so that an address held in a register stays valid, a JIT
// can use the same addresses, and the collector never sees a pointer it does
// not own. Safety does not come from the addresses but from the region
// table: in checked mode every access is tested against it before it is made.
package mem

import (
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"unsafe"
)

// PageSize is the host page size.
var PageSize = os.Getpagesize()

// Buffer is a block of memory outside the Go heap.
type Buffer struct {
	mapping []byte // the whole mapping, guard pages included
	data    []byte // the usable part
	cleanup runtime.Cleanup
}

// Alloc maps n bytes (rounded up to whole pages) of zeroed memory, with an
// inaccessible guard page on each side so that a bug in the runtime that
// overruns a buffer faults instead of corrupting a neighbour.
func Alloc(n int) (*Buffer, error) { return alloc(n, false) }

// AllocLow is Alloc for memory below 4 GiB. Packet data lives there: the
// kernel's context structures (xdp_md, __sk_buff) hold packet pointers in
// 32-bit fields, and with packets in low memory the real address fits, so
// programs read working pointers without any rewriting of their loads.
func AllocLow(n int) (*Buffer, error) { return alloc(n, true) }

func alloc(n int, low bool) (*Buffer, error) {
	if n <= 0 {
		n = 1
	}
	if uint64(n) > maxBuffer {
		return nil, fmt.Errorf("allocating %d bytes: too large", n)
	}
	size := (n + PageSize - 1) / PageSize * PageSize
	if size < n {
		return nil, fmt.Errorf("allocating %d bytes: too large", n)
	}
	m, err := reserve(size+2*PageSize, low)
	if err != nil {
		return nil, err
	}
	if err := protectReadWrite(m[PageSize : PageSize+size]); err != nil {
		release(m)
		return nil, err
	}
	b := &Buffer{mapping: m, data: m[PageSize : PageSize+n : PageSize+size]}
	// A buffer that becomes unreachable without Free is unmapped by the
	// garbage collector. Addresses held by programs do not keep it alive:
	// whoever hands the memory to a program must hold the Buffer.
	b.cleanup = runtime.AddCleanup(b, func(m []byte) { release(m) }, m)
	return b, nil
}

// maxBuffer bounds one buffer (64 TiB) so that the size arithmetic cannot
// overflow.
const maxBuffer uint64 = 1 << 46

// lowHints are the addresses below 4 GiB that reserveLow asks for, in turn,
// where the system has no flag for "map it low": 256 MiB to 3.75 GiB in
// 256 MiB steps.
func lowHints() []uintptr {
	hints := make([]uintptr, 0, 15)
	for a := uint64(1 << 28); a < 1<<32; a += 1 << 28 {
		hints = append(hints, uintptr(a))
	}
	return hints
}

// isLow reports whether the mapping m lies wholly below 4 GiB.
func isLow(m []byte) bool {
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(m))))+uint64(len(m)) <= 1<<32
}

// Bytes returns the usable memory. Its capacity is the page-rounded size.
func (b *Buffer) Bytes() []byte { return b.data }

// Addr returns the address of the first usable byte.
func (b *Buffer) Addr() uint64 { return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b.data)))) }

// Free unmaps the buffer. The buffer must not be used afterwards.
func (b *Buffer) Free() error {
	if b.mapping == nil {
		return nil
	}
	b.cleanup.Stop()
	err := release(b.mapping)
	b.mapping, b.data = nil, nil
	return err
}

// pointer converts a program address into a pointer. The address must lie in
// memory the runtime handed out (a Buffer); callers check it first.
func pointer(addr uint64) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(nil), uintptr(addr)) }

// Slice returns n bytes at addr as a slice. The caller has checked the range.
func Slice(addr uint64, n int) []byte { return unsafe.Slice((*byte)(pointer(addr)), n) }

// Load8 and the other loads read little-endian values at a checked address.
func Load8(addr uint64) uint64  { return uint64(*(*uint8)(pointer(addr))) }
func Load16(addr uint64) uint64 { return uint64(*(*uint16)(pointer(addr))) }
func Load32(addr uint64) uint64 { return uint64(*(*uint32)(pointer(addr))) }
func Load64(addr uint64) uint64 { return *(*uint64)(pointer(addr)) }

// Store8 and the other stores write the low bytes of v at a checked address.
func Store8(addr, v uint64)  { *(*uint8)(pointer(addr)) = uint8(v) }
func Store16(addr, v uint64) { *(*uint16)(pointer(addr)) = uint16(v) }
func Store32(addr, v uint64) { *(*uint32)(pointer(addr)) = uint32(v) }
func Store64(addr, v uint64) { *(*uint64)(pointer(addr)) = v }

// Atomic32 and Atomic64 return the word at a checked, naturally aligned
// address for use with sync/atomic.
func Atomic32(addr uint64) *uint32 { return (*uint32)(pointer(addr)) }
func Atomic64(addr uint64) *uint64 { return (*uint64)(pointer(addr)) }

// LoadAcquire reads size bytes (1, 2, 4 or 8) at a naturally aligned address
// with acquire ordering. Go has no 8- or 16-bit atomics, so narrow loads read
// the aligned 32-bit word that contains them (it never crosses a page).
func LoadAcquire(addr uint64, size int) uint64 {
	switch size {
	case 8:
		return atomic.LoadUint64(Atomic64(addr))
	case 4:
		return uint64(atomic.LoadUint32(Atomic32(addr)))
	}
	word := atomic.LoadUint32(Atomic32(addr &^ 3))
	shift := (addr & 3) * 8
	if size == 2 {
		return uint64(uint16(word >> shift))
	}
	return uint64(uint8(word >> shift))
}

// StoreRelease writes size bytes at a naturally aligned address with release
// ordering; narrow stores update their containing 32-bit word with a
// compare-and-swap loop so that neighbouring bytes are never lost.
func StoreRelease(addr uint64, size int, v uint64) {
	switch size {
	case 8:
		atomic.StoreUint64(Atomic64(addr), v)
		return
	case 4:
		atomic.StoreUint32(Atomic32(addr), uint32(v))
		return
	}
	p := Atomic32(addr &^ 3)
	shift := (addr & 3) * 8
	mask := uint32(0xff) << shift
	if size == 2 {
		mask = uint32(0xffff) << shift
	}
	for {
		old := atomic.LoadUint32(p)
		nw := old&^mask | uint32(v)<<shift&mask
		if atomic.CompareAndSwapUint32(p, old, nw) {
			return
		}
	}
}

// Reserve maps size bytes of address space that can never be accessed: any
// load or store there faults. It is never unmapped (map handles live there
// for the process's life).
func Reserve(size int) ([]byte, error) { return reserve(size, false) }
