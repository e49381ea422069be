package maps

import (
	"sync/atomic"
	"syscall"
)

// Limit is a memory budget that maps are charged against, as the kernel
// charges a map's memory to its creator's memory cgroup (or, before 5.11,
// to RLIMIT_MEMLOCK): New charges a map's size (Size) before it
// allocates anything and fails with ENOMEM when the charge would exceed
// the limit; the charge is returned when the map's memory is freed. One
// Limit may be shared by any number of maps, concurrently.
type Limit struct {
	max  uint64
	used atomic.Uint64
}

// NewLimit returns a budget of max bytes.
func NewLimit(max uint64) *Limit { return &Limit{max: max} }

// Max returns the limit in bytes.
func (l *Limit) Max() uint64 { return l.max }

// Used returns the bytes charged by the maps alive now.
func (l *Limit) Used() uint64 { return l.used.Load() }

func (l *Limit) charge(n uint64) bool {
	for {
		u := l.used.Load()
		if n > l.max || u > l.max-n {
			return false
		}
		if l.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

func (l *Limit) uncharge(n uint64) { l.used.Add(-n) }

// Size returns the bytes of memory a map of spec takes when full, which
// New checks before it allocates: the value, key and link areas mapped
// off the Go heap, and the slot tables of prog arrays and maps of maps.
// spec must have passed Check.
func Size(s *Spec) uint64 {
	n := uint64(s.MaxEntries)
	val := uint64(roundUp8(s.ValueSize))
	ncpu := uint64(max(s.NumCPU, 1))
	switch s.Type {
	case TypeArray:
		return n * val
	case TypePerCPUArray:
		return n * val * ncpu
	case TypeProgArray:
		return n * progSlotSize
	case TypeArrayOfMaps:
		return n * innerSlotSize
	case TypeHash, TypePerCPUHash, TypeLRUHash, TypeLRUPerCPUHash, TypeHashOfMaps:
		l := newHashLayout(s)
		return l.nBuckets*4 + l.nElems*l.recSize + l.nElems*l.stride*l.ncpu
	case TypeLPMTrie:
		// Value slots, and up to two trie nodes (one intermediate) per
		// element on the Go heap.
		return (n+1)*val + 2*n*(lpmNodeSize+uint64(s.KeySize))
	case TypeQueue, TypeStack:
		return (n + 1) * uint64(s.ValueSize)
	case TypeBloomFilter:
		return bloomBits(s) / 8
	case TypeRingBuf:
		return n
	}
	return 0
}

// reserve checks that a map of spec can be allocated and charges it to
// spec.Limit; the caller returns the charge (release) when the map's
// memory is freed or its creation fails. A map larger than the
// machine's memory fails with ENOMEM, as the kernel's allocation does
// (vmalloc refuses more pages than the machine has), before anything
// is allocated: ebpfvm maps its memory lazily, so without the check a
// map that can never be filled would be created and fail only later,
// when a program touches its pages.
func reserve(s *Spec) (release func(), err error) {
	n := Size(s)
	if total := physicalMemory(); total > 0 && n > total {
		return nil, errf(syscall.ENOMEM, "%s needs %d bytes, more than the machine's %d bytes of memory", s, n, total)
	}
	l := s.Limit
	if l == nil {
		return func() {}, nil
	}
	if !l.charge(n) {
		return nil, errf(syscall.ENOMEM, "%s needs %d bytes: memory limit %d bytes, %d in use", s, n, l.Max(), l.Used())
	}
	var done atomic.Bool
	return func() {
		if done.CompareAndSwap(false, true) {
			l.uncharge(n)
		}
	}, nil
}

// Per-slot sizes of the Go-heap tables, when full.
const (
	progSlotSize  = 8 + 16              // a pointer to a slot holding the program (an interface)
	innerSlotSize = 8 + 16              // the handle and the map (an interface)
	lpmNodeSize   = 16 + 8 + 8 + 8 + 24 // an lpmNode without its data
)
