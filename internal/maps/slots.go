package maps

import (
	"sync"
	"sync/atomic"
)

// slotChunk is the number of slots a slotTable allocates at once.
const slotChunk = 4096

// slotTable is the slots of a prog array or an array of maps, allocated a
// chunk at a time as they are first set: the kernel allocates every slot
// at creation, but a slot here is a Go pointer, and a table of
// 0xffffffff of them made eagerly would be 32 GiB of Go heap that the
// garbage collector scans. Reads (get) take one atomic load more than a
// flat slice and never allocate.
type slotTable[T any] struct {
	n      uint32
	mu     sync.Mutex // serialises chunk allocation
	chunks []atomic.Pointer[[slotChunk]T]
}

func newSlotTable[T any](n uint32) slotTable[T] {
	return slotTable[T]{n: n, chunks: make([]atomic.Pointer[[slotChunk]T], (uint64(n)+slotChunk-1)/slotChunk)}
}

// get returns slot i, nil when i is out of range or its chunk was never
// allocated (the slot is empty).
func (t *slotTable[T]) get(i uint32) *T {
	if i >= t.n {
		return nil
	}
	c := t.chunks[i/slotChunk].Load()
	if c == nil {
		return nil
	}
	return &c[i%slotChunk]
}

// at returns slot i (i < n), allocating its chunk if needed.
func (t *slotTable[T]) at(i uint32) *T {
	if p := t.get(i); p != nil {
		return p
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.chunks[i/slotChunk].Load()
	if c == nil {
		c = new([slotChunk]T)
		t.chunks[i/slotChunk].Store(c)
	}
	return &c[i%slotChunk]
}

// each calls fn for every slot of the allocated chunks, in index order.
func (t *slotTable[T]) each(fn func(i uint32, p *T)) {
	for ci := range t.chunks {
		c := t.chunks[ci].Load()
		if c == nil {
			continue
		}
		for j := range c {
			i := uint64(ci)*slotChunk + uint64(j)
			if i >= uint64(t.n) {
				return
			}
			fn(uint32(i), &c[j])
		}
	}
}
