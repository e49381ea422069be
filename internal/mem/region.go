package mem

import (
	"errors"
	"fmt"
)

// Kind says what a region holds; error messages name it.
type Kind uint8

// Region kinds.
const (
	KindStack Kind = iota
	KindContext
	KindPacket
	KindMapValue
	KindHelperMemory
	KindOther
)

var kindNames = [...]string{"stack", "context", "packet", "map value", "helper memory", "memory"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Region is a range of addresses a program may access.
type Region struct {
	Start, End uint64 // [Start, End)
	Writable   bool
	Kind       Kind
}

// MaxRegions bounds the region table. The kernel's programs touch a handful
// of regions per run (stack, context, packet, a few map values), and a small
// fixed array keeps the check branch-predictable and allocation-free.
const MaxRegions = 64

// Regions is the table of regions of one run.
type Regions struct {
	n    int
	list [MaxRegions]Region
}

// Reset empties the table.
func (rs *Regions) Reset() { rs.n = 0 }

// Add appends a region. It returns false when the table is full.
func (rs *Regions) Add(r Region) bool {
	if r.End <= r.Start {
		return true // empty regions grant nothing
	}
	if rs.n == MaxRegions {
		return false
	}
	rs.list[rs.n] = r
	rs.n++
	return true
}

// Set replaces region i.
func (rs *Regions) Set(i int, r Region) {
	if i < rs.n {
		rs.list[i] = r
	}
}

// SetStart moves the start of region i (the stack's, as calls and returns
// change the frames in reach).
func (rs *Regions) SetStart(i int, start uint64) {
	if i < rs.n {
		rs.list[i].Start = start
	}
}

// Truncate drops regions added after the table had n entries.
func (rs *Regions) Truncate(n int) {
	if n < rs.n {
		rs.n = n
	}
}

// Len returns the number of regions.
func (rs *Regions) Len() int { return rs.n }

// Check reports whether [addr, addr+size) lies inside one region that allows
// the access.
func (rs *Regions) Check(addr, size uint64, write bool) bool {
	end := addr + size
	if end < addr {
		return false
	}
	for i := 0; i < rs.n; i++ {
		r := &rs.list[i]
		if addr >= r.Start && end <= r.End {
			return r.Writable || !write
		}
	}
	return false
}

// Find returns the region containing addr, for error messages.
func (rs *Regions) Find(addr uint64) (Region, bool) {
	for i := 0; i < rs.n; i++ {
		if r := rs.list[i]; addr >= r.Start && addr < r.End {
			return r, true
		}
	}
	return Region{}, false
}

// nearby is how far from a region an access may be and still be described
// relative to it ("past the end of context by 4 bytes").
const nearby = 1 << 16

// Describe explains why an access is not allowed, naming the nearest region.
func (rs *Regions) Describe(addr, size uint64, write bool) string {
	verb := "read"
	if write {
		verb = "write"
	}
	what := fmt.Sprintf("%s of %d bytes at %#x", verb, size, addr)
	if r, ok := rs.Find(addr); ok && write && !r.Writable && addr+size <= r.End {
		return fmt.Sprintf("%s: %s is read-only", what, r.Kind)
	}
	if addr < 4096 {
		return what + ": null or near-null pointer"
	}
	if r, ok := rs.nearest(addr); ok {
		if addr < r.Start {
			return fmt.Sprintf("%s: %d bytes before the start of %s [%#x, %#x)", what, r.Start-addr, r.Kind, r.Start, r.End)
		}
		return fmt.Sprintf("%s: runs past the end of %s [%#x, %#x) by %d bytes", what, r.Kind, r.Start, r.End, addr+size-r.End)
	}
	return what + ": address is outside every region the program was given"
}

// nearest returns the region closest to addr, if one is nearby.
func (rs *Regions) nearest(addr uint64) (Region, bool) {
	best, dist := Region{}, uint64(nearby)
	for i := 0; i < rs.n; i++ {
		r := rs.list[i]
		var d uint64
		switch {
		case addr < r.Start:
			d = r.Start - addr
		case addr >= r.End:
			d = addr - r.End + 1
		}
		if d <= dist {
			best, dist = r, d
		}
	}
	return best, dist < nearby
}

// ErrAccessDenied is the error of an access outside every region.
var ErrAccessDenied = errors.New("invalid memory access")
