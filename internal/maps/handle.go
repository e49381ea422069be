package maps

import (
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// Handles. A program holds a map as an address (ld_imm64 with
// BPF_PSEUDO_MAP_FD becomes the map's address in the kernel). Ours is an
// address inside a block of address space reserved once with PROT_NONE, so
// that a program which dereferences it faults instead of reading anything,
// and so that a handle cannot be confused with a value address. Slot i of
// the block is the handle base+i*handleStride; the map in slot i is found
// with two atomic loads (FromHandle), which is what every map helper does
// first.
const (
	handleStride = 16
	handleSlots  = 1 << 20 // open maps at once; 16 MiB of reserved addresses
	chunkBits    = 10
	chunkSize    = 1 << chunkBits
)

type handleChunk [chunkSize]atomic.Pointer[slot]

type slot struct{ m Map }

var handles struct {
	once sync.Once
	base atomic.Uint64 // set once; FromHandle may run concurrently with the first New
	err  error

	mu     sync.Mutex // serialises allocation
	cursor uint32     // next slot to try: slots are reused cyclically
	used   int
	chunks [handleSlots / chunkSize]atomic.Pointer[handleChunk]
}

func reserveHandles() {
	b, err := mem.Reserve(handleSlots * handleStride)
	if err != nil {
		handles.err = fmt.Errorf("maps: reserving handle addresses: %w", err)
		return
	}
	// Never unmapped: handles must stay unreadable for the process's life.
	handles.base.Store(uint64(uintptr(unsafePointer(&b[0]))))
}

// register gives m a slot: its handle and ID.
func register(m Map) (handle uint64, id uint32, err error) {
	handles.once.Do(reserveHandles)
	if handles.err != nil {
		return 0, 0, handles.err
	}
	handles.mu.Lock()
	defer handles.mu.Unlock()
	if handles.used == handleSlots {
		return 0, 0, fmt.Errorf("maps: %d maps open: %w", handleSlots, syscall.ENOSPC)
	}
	for {
		i := handles.cursor
		handles.cursor = (i + 1) % handleSlots
		c := handles.chunks[i>>chunkBits].Load()
		if c == nil {
			c = new(handleChunk)
			handles.chunks[i>>chunkBits].Store(c)
		}
		s := &c[i&(chunkSize-1)]
		if s.Load() != nil {
			continue
		}
		s.Store(&slot{m: m})
		handles.used++
		return handles.base.Load() + uint64(i)*handleStride, i + 1, nil
	}
}

// unregister frees the slot of the map with the given ID.
func unregister(id uint32) {
	i := id - 1
	handles.mu.Lock()
	handles.chunks[i>>chunkBits].Load()[i&(chunkSize-1)].Store(nil)
	handles.used--
	handles.mu.Unlock()
}

// Open returns the number of maps that exist (not yet freed).
func Open() int {
	handles.mu.Lock()
	defer handles.mu.Unlock()
	return handles.used
}

// FromHandle returns the open map whose handle is h. It is O(1) and
// lock-free, safe concurrently with New and Close.
func FromHandle(h uint64) (Map, bool) {
	base := handles.base.Load()
	off := h - base
	if h < base || off >= handleSlots*handleStride || off%handleStride != 0 || base == 0 {
		return nil, false
	}
	return fromSlot(uint32(off / handleStride))
}

// FromID returns the open map with the given ID.
func FromID(id uint32) (Map, bool) {
	if id == 0 || id > handleSlots {
		return nil, false
	}
	return fromSlot(id - 1)
}

func fromSlot(i uint32) (Map, bool) {
	c := handles.chunks[i>>chunkBits].Load()
	if c == nil {
		return nil, false
	}
	s := c[i&(chunkSize-1)].Load()
	if s == nil {
		return nil, false
	}
	return s.m, true
}

// common is what every map has: its spec, handle, references and regions.
type common struct {
	spec    Spec
	handle  uint64
	id      uint32
	regions []mem.Region

	refs    atomic.Int64 // the creator's reference plus Retain calls plus Go-side calls in flight
	closed  atomic.Bool  // the creator's reference is gone
	frozen  atomic.Bool
	onClose func() // called once by Close, before the reference is dropped
	destroy func() // frees the memory when the last reference goes
	release func() // returns the memory's charge to the Limit, after destroy
}

// init records the spec and takes the creator's reference.
func (c *common) init(self Map, spec *Spec) error {
	c.spec = *spec
	if spec.InnerMap != nil {
		inner := *spec.InnerMap
		c.spec.InnerMap = &inner
	}
	c.refs.Store(1)
	return nil
}

// publish gives the finished map its handle and ID: from now on
// FromHandle finds it. release returns the map's memory charge; it is
// called once the memory is freed. If publishing fails, the map's memory
// is freed.
func (c *common) publish(self Map, release func()) error {
	c.release = release
	h, id, err := register(self)
	if err != nil {
		c.free()
		return err
	}
	c.handle, c.id = h, id
	return nil
}

// free frees the map's memory and returns its charge.
func (c *common) free() {
	if c.destroy != nil {
		c.destroy()
	}
	if c.release != nil {
		c.release()
	}
}

type publisher interface {
	publish(self Map, release func()) error
}

func (c *common) Spec() *Spec           { return &c.spec }
func (c *common) Handle() uint64        { return c.handle }
func (c *common) ID() uint32            { return c.id }
func (c *common) Regions() []mem.Region { return c.regions }

func (c *common) Retain() error {
	for {
		n := c.refs.Load()
		if n <= 0 {
			return syscall.EBADF
		}
		if c.refs.CompareAndSwap(n, n+1) {
			return nil
		}
	}
}

func (c *common) Release() {
	n := c.refs.Add(-1)
	if n == 0 {
		unregister(c.id)
		c.free()
	} else if n < 0 {
		panic("maps: Release without Retain")
	}
}

func (c *common) Close() error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	if c.onClose != nil {
		c.onClose()
	}
	c.Release()
	return nil
}

// enter starts a Go-side operation: it fails after Close, and otherwise
// holds a reference until exit so that the memory cannot go meanwhile.
func (c *common) enter() error {
	if c.closed.Load() {
		return syscall.EBADF
	}
	return c.Retain()
}

func (c *common) exit() { c.Release() }

// Hold takes a reference for Go code that keeps using the map's memory
// (Release returns it), and fails with EBADF after Close.
func (c *common) Hold() error { return c.enter() }

// Frozen reports whether Freeze was called.
func (c *common) Frozen() bool { return c.frozen.Load() }

// canRead and canWrite are the syscall side's permission checks
// (FMODE_CAN_READ/WRITE of the map's fd, and freezing).
func (c *common) canRead() error {
	if c.spec.Flags&FlagWronly != 0 {
		return syscall.EPERM
	}
	return nil
}

func (c *common) canWrite() error {
	if c.spec.Flags&FlagRdonly != 0 || c.frozen.Load() {
		return syscall.EPERM
	}
	return nil
}

func (c *common) Freeze() error {
	if err := c.enter(); err != nil {
		return err
	}
	defer c.exit()
	if c.spec.HasLock {
		return ENOTSUPP
	}
	if err := c.canWrite(); err != nil {
		return err // frozen already: not writable (EPERM)
	}
	if !c.frozen.CompareAndSwap(false, true) {
		return syscall.EBUSY
	}
	return nil
}

// valueRegion is the region of a map's value area.
func (c *common) valueRegion(start, size uint64) []mem.Region {
	if size == 0 {
		return nil
	}
	return []mem.Region{{Start: start, End: start + size, Writable: c.spec.Flags&FlagRdonlyProg == 0, Kind: mem.KindMapValue}}
}

// sysValueSize is the size of a value on the Go side (bpf_map_value_size).
func (c *common) sysValueSize() int {
	s := &c.spec
	switch {
	case s.Type.PerCPU():
		return int(roundUp8(s.ValueSize)) * s.NumCPU
	case s.Type == TypeProgArray || s.Type == TypeArrayOfMaps || s.Type == TypeHashOfMaps:
		return 4
	}
	return int(s.ValueSize)
}

func (c *common) checkKey(key []byte) error {
	if len(key) != int(c.spec.KeySize) {
		return errf(syscall.EINVAL, "key of %d bytes, want %d", len(key), c.spec.KeySize)
	}
	return nil
}

// The begin functions do the checks of the bpf() commands that come before
// the map's own, in the kernel's order. When they return nil the caller
// must call exit.

func (c *common) beginLookup(key, valueOut []byte, flags uint64) error {
	if flags&^UpdateLock != 0 {
		return syscall.EINVAL
	}
	if err := c.enter(); err != nil {
		return err
	}
	err := c.canRead()
	if err == nil && flags&UpdateLock != 0 && !c.spec.HasLock {
		err = syscall.EINVAL
	}
	if err == nil {
		err = c.checkKey(key)
	}
	if err == nil && len(valueOut) < c.sysValueSize() {
		err = errf(syscall.EINVAL, "value buffer of %d bytes, want %d", len(valueOut), c.sysValueSize())
	}
	if err != nil {
		c.exit()
	}
	return err
}

func (c *common) beginUpdate(key, value []byte, flags uint64) error {
	if err := c.enter(); err != nil {
		return err
	}
	err := c.canWrite()
	if err == nil && flags&UpdateLock != 0 && !c.spec.HasLock {
		err = syscall.EINVAL
	}
	if err == nil {
		err = c.checkKey(key)
	}
	if err == nil && len(value) != c.sysValueSize() {
		err = errf(syscall.EINVAL, "value of %d bytes, want %d", len(value), c.sysValueSize())
	}
	if err != nil {
		c.exit()
	}
	return err
}

func (c *common) beginDelete(key []byte) error {
	if err := c.enter(); err != nil {
		return err
	}
	err := c.canWrite()
	if err == nil {
		err = c.checkKey(key)
	}
	if err != nil {
		c.exit()
	}
	return err
}

func (c *common) beginLookupAndDelete(key, valueOut []byte, flags uint64) error {
	if flags&^UpdateLock != 0 {
		return syscall.EINVAL
	}
	if err := c.enter(); err != nil {
		return err
	}
	err := c.canRead()
	if err == nil {
		err = c.canWrite()
	}
	if err == nil && flags != 0 && (c.spec.Type == TypeQueue || c.spec.Type == TypeStack) {
		err = syscall.EINVAL
	}
	if err == nil && flags&UpdateLock != 0 && !c.spec.HasLock {
		err = syscall.EINVAL
	}
	if err == nil {
		err = c.checkKey(key)
	}
	if err == nil && len(valueOut) < c.sysValueSize() {
		err = errf(syscall.EINVAL, "value buffer of %d bytes, want %d", len(valueOut), c.sysValueSize())
	}
	if err != nil {
		c.exit()
	}
	return err
}

func (c *common) beginNextKey(key, nextOut []byte) error {
	if err := c.enter(); err != nil {
		return err
	}
	err := c.canRead()
	if err == nil && key != nil {
		err = c.checkKey(key)
	}
	if err == nil && len(nextOut) < int(c.spec.KeySize) {
		err = errf(syscall.EINVAL, "key buffer of %d bytes, want %d", len(nextOut), c.spec.KeySize)
	}
	if err != nil {
		c.exit()
	}
	return err
}

// Defaults for the operations most map types do not have; each type
// overrides what it supports. lookupAndDelete is ENOTSUPP for all but
// hash maps, queues and stacks, as in map_lookup_and_delete_elem.

func (c *common) LookupAndDelete(key, valueOut []byte) error {
	return c.LookupAndDeleteWithFlags(key, valueOut, 0)
}

func (c *common) LookupAndDeleteWithFlags(key, valueOut []byte, flags uint64) error {
	if err := c.beginLookupAndDelete(key, valueOut, flags); err != nil {
		return err
	}
	c.exit()
	return ENOTSUPP
}

// closedForGo reports whether Close was called: such a map cannot be
// handed to SetInner (the kernel would need its fd).
func (c *common) closedForGo() bool { return c.closed.Load() }

type closer interface{ closedForGo() bool }
