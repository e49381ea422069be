package maps

import (
	"encoding/binary"
	"math/bits"
	"runtime"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

func unsafePointer(b *byte) unsafe.Pointer { return unsafe.Pointer(b) }

// bufBase returns the first byte of an off-heap buffer as a pointer. The
// garbage collector ignores pointers outside its heap, so keeping such a
// pointer in a Go struct is fine.
func bufBase(b *mem.Buffer) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b.Bytes())) }

func addrOf(p unsafe.Pointer) uint64 { return uint64(uintptr(p)) }

func ptrOf(addr uint64) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(nil), uintptr(addr)) }

// bytesAt is n bytes of off-heap memory at p.
func bytesAt(p unsafe.Pointer, n uintptr) []byte { return unsafe.Slice((*byte)(p), n) }

func u32At(p unsafe.Pointer) *uint32 { return (*uint32)(p) }

func roundUp8(n uint32) uint32 { return (n + 7) &^ 7 }

// ne is the host's byte order, in which the kernel reads integer keys
// (array indexes, LPM prefix lengths) and ring buffer headers.
var ne = binary.NativeEndian

func pow2Ceil(n uint64) uint64 {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len64(n-1)
}

// jhash is the kernel's jhash (Bob Jenkins' lookup3 hashlittle) of key with
// initval, reading words in host (little-endian) order: jhash2 on a
// word-aligned key gives the same result, so this is htab_map_hash() and
// the bloom filter's hash, bit for bit.
func jhash(key []byte, initval uint32) uint32 {
	a := 0xdeadbeef + uint32(len(key)) + initval
	b, c := a, a
	k := key
	for len(k) > 12 {
		a += binary.LittleEndian.Uint32(k)
		b += binary.LittleEndian.Uint32(k[4:])
		c += binary.LittleEndian.Uint32(k[8:])
		// __jhash_mix
		a -= c
		a ^= bits.RotateLeft32(c, 4)
		c += b
		b -= a
		b ^= bits.RotateLeft32(a, 6)
		a += c
		c -= b
		c ^= bits.RotateLeft32(b, 8)
		b += a
		a -= c
		a ^= bits.RotateLeft32(c, 16)
		c += b
		b -= a
		b ^= bits.RotateLeft32(a, 19)
		a += c
		c -= b
		c ^= bits.RotateLeft32(b, 4)
		b += a
		k = k[12:]
	}
	switch {
	case len(k) == 0:
		return c
	case len(k) > 8:
		a += binary.LittleEndian.Uint32(k)
		b += binary.LittleEndian.Uint32(k[4:])
		c += tail32(k[8:])
	case len(k) > 4:
		a += binary.LittleEndian.Uint32(k)
		b += tail32(k[4:])
	default:
		a += tail32(k)
	}
	// __jhash_final
	c ^= b
	c -= bits.RotateLeft32(b, 14)
	a ^= c
	a -= bits.RotateLeft32(c, 11)
	b ^= a
	b -= bits.RotateLeft32(a, 25)
	c ^= b
	c -= bits.RotateLeft32(b, 16)
	a ^= c
	a -= bits.RotateLeft32(c, 4)
	b ^= a
	b -= bits.RotateLeft32(a, 14)
	c ^= b
	c -= bits.RotateLeft32(b, 24)
	return c
}

// Spin locks. In the kernel a struct bpf_spin_lock is a 4-byte word in a
// map value and the word is the lock. Here programs that were never
// verified may write over that word, which must not wedge the host, so the
// lock itself lives outside program memory, in a table of lock words
// selected by the address of the struct. The word in the value still reads
// 1 while the lock is held and 0 otherwise (an uncontended queued spinlock
// of the kernel reads the same), for programs that look at it.

// lockStripes is the size of the lock table. Two locks that share a stripe
// exclude each other; with 4096 stripes that is rare, and harmless since a
// run holds at most one lock.
const lockStripes = 1 << 12

type lockStripe struct {
	held atomic.Uint32
	_    [60]byte // one cache line each
}

var lockTable [lockStripes]lockStripe

func stripeOf(addr uint64) *atomic.Uint32 {
	h := addr >> 2
	h ^= h >> 12
	return &lockTable[h&(lockStripes-1)].held
}

// tail32 reads up to 4 bytes, little-endian.
func tail32(k []byte) uint32 {
	switch len(k) {
	case 1:
		return uint32(k[0])
	case 2:
		return uint32(k[0]) | uint32(k[1])<<8
	case 3:
		return uint32(k[0]) | uint32(k[1])<<8 | uint32(k[2])<<16
	}
	return binary.LittleEndian.Uint32(k)
}

// set32 is a plain store to a word that lock-free readers load
// atomically. An aligned 32-bit store is atomic on every platform, and the
// stores of an update are published by the atomic operation that follows
// them (the store of the bucket head, the free list's compare-and-swap, the
// unlock), as rcu_assign_pointer publishes the kernel's plain stores. The
// memory is off the Go heap, so the race detector does not see these
// stores; the atomic loads on the other side order what readers see. An
// atomic store would be a full barrier (XCHG on amd64) for nothing.
func set32(p *uint32, v uint32) { *p = v }

// SpinLock takes the struct bpf_spin_lock at addr (bpf_spin_lock), waiting
// as long as it takes. BPF_F_LOCK map operations take the same lock.
func SpinLock(addr uint64) { SpinLockTimeout(addr, 0) }

// SpinLockTimeout is SpinLock giving up after timeout (0: never); it
// reports whether it took the lock.
func SpinLockTimeout(addr uint64, timeout time.Duration) bool {
	s := stripeOf(addr)
	var deadline time.Time
	for i := 0; !s.CompareAndSwap(0, 1); i++ {
		if i < 64 {
			continue
		}
		if timeout > 0 && i%1024 == 0 {
			if deadline.IsZero() {
				deadline = time.Now().Add(timeout)
			} else if time.Now().After(deadline) {
				return false
			}
		}
		runtime.Gosched()
	}
	atomic.StoreUint32(u32At(ptrOf(addr)), 1)
	return true
}

// SpinUnlock releases the lock at addr (bpf_spin_unlock). Only the holder
// may call it.
func SpinUnlock(addr uint64) {
	atomic.StoreUint32(u32At(ptrOf(addr)), 0)
	stripeOf(addr).Store(0)
}

func spinLock(p unsafe.Pointer)   { SpinLock(uint64(uintptr(p))) }
func spinUnlock(p unsafe.Pointer) { SpinUnlock(uint64(uintptr(p))) }

// valueCopier copies values as the kernel's copy_map_value does: all bytes
// but the spin lock.
type valueCopier struct {
	size    uintptr // value_size
	hasLock bool
	lockOff uintptr
}

func (vc *valueCopier) init(s *Spec) {
	vc.size = uintptr(s.ValueSize)
	vc.hasLock = s.HasLock
	vc.lockOff = uintptr(s.LockOffset)
}

// copyIn copies src (at least size bytes) to the value at dst, skipping
// the lock field of dst.
func (vc *valueCopier) copyIn(dst unsafe.Pointer, src []byte) {
	d := bytesAt(dst, vc.size)
	if !vc.hasLock {
		copy(d, src[:vc.size])
		return
	}
	copy(d[:vc.lockOff], src[:vc.lockOff])
	copy(d[vc.lockOff+4:], src[vc.lockOff+4:vc.size])
}

// copyOut copies the value at src to dst and zeroes dst's lock field
// (copy_map_value followed by check_and_init_map_value).
func (vc *valueCopier) copyOut(dst []byte, src unsafe.Pointer) {
	copy(dst[:vc.size], bytesAt(src, vc.size))
	if vc.hasLock {
		clear(dst[vc.lockOff : vc.lockOff+4])
	}
}

// copyInLocked is copy_map_value_locked towards the map: it holds the
// value's lock while copying.
func (vc *valueCopier) copyInLocked(dst unsafe.Pointer, src []byte) {
	l := unsafe.Add(dst, vc.lockOff)
	spinLock(l)
	vc.copyIn(dst, src)
	spinUnlock(l)
}

func (vc *valueCopier) copyOutLocked(dst []byte, src unsafe.Pointer) {
	l := unsafe.Add(src, vc.lockOff)
	spinLock(l)
	copy(dst[:vc.size], bytesAt(src, vc.size))
	spinUnlock(l)
	clear(dst[vc.lockOff : vc.lockOff+4])
}
