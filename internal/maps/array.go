package maps

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// arrayMap is BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY: values of
// value_size rounded up to 8 bytes, contiguous, in one off-heap buffer.
// Per-CPU arrays keep each CPU's values together (CPU-major), so that
// programs on different CPUs updating the same element do not share cache
// lines.
type arrayMap struct {
	common
	vc       valueCopier
	buf      *mem.Buffer
	base     unsafe.Pointer
	addr     uint64
	elemSize uint64
	max      uint32
	ncpu     int
	percpu   bool
}

func newArray(s *Spec) (Map, error) {
	a := &arrayMap{
		elemSize: uint64(roundUp8(s.ValueSize)),
		max:      s.MaxEntries,
		ncpu:     s.NumCPU,
		percpu:   s.Type == TypePerCPUArray,
	}
	a.vc.init(s)
	n := a.elemSize * uint64(a.max)
	if a.percpu {
		n *= uint64(a.ncpu)
	}
	buf, err := allocBuffer(n)
	if err != nil {
		return nil, err
	}
	a.buf, a.base = buf, bufBase(buf)
	a.addr = addrOf(a.base)
	if err := a.init(a, s); err != nil {
		buf.Free()
		return nil, err
	}
	a.regions = a.valueRegion(a.addr, n)
	a.destroy = func() { a.buf.Free() }
	return a, nil
}

// allocBuffer maps n bytes off the heap; failures are ENOMEM.
func allocBuffer(n uint64) (*mem.Buffer, error) {
	if n > 1<<46 {
		return nil, errf(syscall.ENOMEM, "%d bytes of map memory", n)
	}
	b, err := mem.Alloc(int(n))
	if errors.Is(err, syscall.ENOMEM) {
		return nil, fmt.Errorf("maps: %w", err)
	}
	if err != nil {
		return nil, errf(syscall.ENOMEM, "%v", err)
	}
	return b, nil
}

// Bytes returns the live value area of a BPF_F_MMAPABLE array (value_size
// rounded up to 8, times max_entries, rounded up to whole pages), as
// mmap() of the kernel's map would. It is nil for other arrays.
func (a *arrayMap) Bytes() []byte {
	if a.spec.Flags&FlagMmapable == 0 || a.percpu {
		return nil
	}
	b := a.buf.Bytes()
	return b[:cap(b)]
}

func (a *arrayMap) Layout() ArrayLayout {
	l := ArrayLayout{Base: a.addr, ElemSize: a.elemSize, MaxEntries: a.max}
	if a.percpu {
		l.CPUStride = a.elemSize * uint64(a.max)
	}
	return l
}

func (a *arrayMap) slot(i uint32, cpu int) unsafe.Pointer {
	if a.percpu {
		return unsafe.Add(a.base, (uint64(cpu)*uint64(a.max)+uint64(i))*a.elemSize)
	}
	return unsafe.Add(a.base, uint64(i)*a.elemSize)
}

func (a *arrayMap) LookupAddr(key []byte, cpu int) uint64 {
	if len(key) < 4 {
		return 0
	}
	i := ne.Uint32(key)
	if i >= a.max {
		return 0
	}
	if a.percpu {
		if uint(cpu) >= uint(a.ncpu) {
			return 0
		}
		return a.addr + (uint64(cpu)*uint64(a.max)+uint64(i))*a.elemSize
	}
	return a.addr + uint64(i)*a.elemSize
}

// update is array_map_update_elem: one value, or CPU cpu's slot.
func (a *arrayMap) update(key, value []byte, flags uint64, cpu int) error {
	if flags&^UpdateLock > UpdateExist {
		return syscall.EINVAL
	}
	i := ne.Uint32(key)
	if i >= a.max {
		return syscall.E2BIG
	}
	if flags&UpdateNoExist != 0 {
		return syscall.EEXIST
	}
	if flags&UpdateLock != 0 && !a.vc.hasLock {
		return syscall.EINVAL
	}
	if a.percpu {
		a.vc.copyIn(a.slot(i, cpu), value)
	} else if flags&UpdateLock != 0 {
		a.vc.copyInLocked(a.slot(i, 0), value)
	} else {
		a.vc.copyIn(a.slot(i, 0), value)
	}
	return nil
}

func (a *arrayMap) UpdateElem(key, value []byte, flags uint64, cpu int) error {
	if a.spec.Flags&FlagRdonlyProg != 0 {
		return syscall.EPERM
	}
	if len(key) < 4 || len(value) < int(a.spec.ValueSize) || a.percpu && uint(cpu) >= uint(a.ncpu) {
		return syscall.EINVAL
	}
	return a.update(key, value, flags, cpu)
}

func (a *arrayMap) DeleteElem(key []byte) error { return syscall.EINVAL }

func (a *arrayMap) Lookup(key, valueOut []byte) error { return a.LookupWithFlags(key, valueOut, 0) }

func (a *arrayMap) LookupWithFlags(key, valueOut []byte, flags uint64) error {
	if err := a.beginLookup(key, valueOut, flags); err != nil {
		return err
	}
	defer a.exit()
	i := ne.Uint32(key)
	if i >= a.max {
		return syscall.ENOENT
	}
	if a.percpu {
		// bpf_percpu_array_copy: every CPU's whole 8-byte-rounded slot.
		for cpu := range a.ncpu {
			copy(valueOut[uint64(cpu)*a.elemSize:], bytesAt(a.slot(i, cpu), uintptr(a.elemSize)))
		}
		return nil
	}
	if flags&UpdateLock != 0 {
		a.vc.copyOutLocked(valueOut, a.slot(i, 0))
	} else {
		a.vc.copyOut(valueOut, a.slot(i, 0))
	}
	return nil
}

func (a *arrayMap) Update(key, value []byte, flags uint64) error {
	if err := a.beginUpdate(key, value, flags); err != nil {
		return err
	}
	defer a.exit()
	if !a.percpu {
		return a.update(key, value, flags, 0)
	}
	// bpf_percpu_array_update
	if flags > UpdateExist {
		return syscall.EINVAL
	}
	i := ne.Uint32(key)
	if i >= a.max {
		return syscall.E2BIG
	}
	if flags == UpdateNoExist {
		return syscall.EEXIST
	}
	for cpu := range a.ncpu {
		copy(bytesAt(a.slot(i, cpu), uintptr(a.elemSize)), value[uint64(cpu)*a.elemSize:])
	}
	return nil
}

func (a *arrayMap) Delete(key []byte) error {
	if err := a.beginDelete(key); err != nil {
		return err
	}
	a.exit()
	return syscall.EINVAL
}

func (a *arrayMap) NextKey(key, nextOut []byte) error {
	if err := a.beginNextKey(key, nextOut); err != nil {
		return err
	}
	defer a.exit()
	return arrayNextKey(a.max, key, nextOut)
}

// arrayNextKey is array_map_get_next_key: index order; a missing or
// out-of-range key gives index 0.
func arrayNextKey(max uint32, key, nextOut []byte) error {
	i := ^uint32(0)
	if key != nil {
		i = ne.Uint32(key)
	}
	switch {
	case i >= max:
		ne.PutUint32(nextOut, 0)
	case i == max-1:
		return syscall.ENOENT
	default:
		ne.PutUint32(nextOut, i+1)
	}
	return nil
}

func (a *arrayMap) ForEach(cpu int, fn func(key []byte, valueAddr uint64) bool) int {
	if a.percpu && uint(cpu) >= uint(a.ncpu) {
		return 0
	}
	var k [4]byte
	n := 0
	for i := range a.max {
		ne.PutUint32(k[:], i)
		n++
		if !fn(k[:], addrOf(a.slot(i, cpu))) {
			break
		}
	}
	return n
}

// progArray is BPF_MAP_TYPE_PROG_ARRAY. Slots hold the root package's
// programs (any); bpf_tail_call reads them with one atomic load. A slot
// holds a reference to a program that implements mem.Ref, as the kernel's
// prog array holds one to each of its programs.
type progArray struct {
	common
	slots slotTable[atomic.Pointer[progSlot]]

	mu       sync.Mutex // the kernel's poke_mutex: serialises changes and watchers
	watchers map[int]func(index uint32, old, new any)
	nextW    int
}

type progSlot struct{ p any }

func newProgArray(s *Spec) (Map, error) {
	pa := &progArray{slots: newSlotTable[atomic.Pointer[progSlot]](s.MaxEntries)}
	if err := pa.init(pa, s); err != nil {
		return nil, err
	}
	// Closing the last user reference empties a prog array
	// (prog_array_map_clear), which breaks reference cycles through tail
	// calls.
	pa.onClose = pa.clear
	return pa, nil
}

func (pa *progArray) clear() {
	pa.slots.each(func(i uint32, _ *atomic.Pointer[progSlot]) { pa.set(i, nil) })
}

// set stores p (nil: empties the slot; a mem.Ref is already retained) and
// reports whether the slot held a program. The program it replaces is
// released, after the lock: releasing it may free its maps, this one
// included.
func (pa *progArray) set(i uint32, p any) bool {
	var ns *progSlot
	if p != nil {
		ns = &progSlot{p: p}
	}
	pa.mu.Lock()
	var old *progSlot
	if ns != nil {
		old = pa.slots.at(i).Swap(ns)
	} else if sl := pa.slots.get(i); sl != nil {
		old = sl.Swap(nil)
	}
	if old == nil && ns == nil {
		pa.mu.Unlock()
		return false
	}
	var op any
	if old != nil {
		op = old.p
	}
	for _, w := range pa.watchers {
		w(i, op, p)
	}
	pa.mu.Unlock()
	if r, ok := op.(mem.Ref); ok {
		r.Release()
	}
	return old != nil
}

// SetProgram stores prog in slot index; a prog that implements Ref is
// retained for as long as the slot holds it (EBADF when it is gone).
func (pa *progArray) SetProgram(index uint32, prog any) error {
	if err := pa.enter(); err != nil {
		return err
	}
	defer pa.exit()
	if err := pa.canWrite(); err != nil {
		return err
	}
	if index >= pa.slots.n {
		return syscall.E2BIG
	}
	if r, ok := prog.(mem.Ref); ok {
		if err := r.Retain(); err != nil {
			return errf(syscall.EBADF, "program is closed")
		}
	}
	pa.set(index, prog)
	return nil
}

func (pa *progArray) Program(index uint32) any {
	if index >= pa.slots.n {
		return nil
	}
	if sl := pa.slots.get(index); sl != nil {
		if s := sl.Load(); s != nil {
			return s.p
		}
	}
	return nil
}

func (pa *progArray) Watch(fn func(index uint32, old, new any)) (cancel func()) {
	pa.mu.Lock()
	defer pa.mu.Unlock()
	if pa.watchers == nil {
		pa.watchers = make(map[int]func(uint32, any, any))
	}
	id := pa.nextW
	pa.nextW++
	pa.watchers[id] = fn
	return func() {
		pa.mu.Lock()
		delete(pa.watchers, id)
		pa.mu.Unlock()
	}
}

func (pa *progArray) LookupAddr(key []byte, cpu int) uint64 { return 0 }
func (pa *progArray) UpdateElem(key, value []byte, flags uint64, cpu int) error {
	return syscall.EINVAL
}
func (pa *progArray) DeleteElem(key []byte) error { return syscall.EINVAL }

func (pa *progArray) Lookup(key, valueOut []byte) error { return pa.LookupWithFlags(key, valueOut, 0) }

// LookupWithFlags writes the program's ID, as the kernel does, if the
// program has an ID() uint32 method, and fails with ENOTSUPP otherwise.
func (pa *progArray) LookupWithFlags(key, valueOut []byte, flags uint64) error {
	if err := pa.beginLookup(key, valueOut, flags); err != nil {
		return err
	}
	defer pa.exit()
	p := pa.Program(ne.Uint32(key))
	if p == nil {
		return syscall.ENOENT
	}
	ider, ok := p.(interface{ ID() uint32 })
	if !ok {
		return ENOTSUPP
	}
	ne.PutUint32(valueOut, ider.ID())
	return nil
}

// Update fails: there are no program file descriptors to put in a slot;
// SetProgram takes the program itself.
func (pa *progArray) Update(key, value []byte, flags uint64) error {
	if err := pa.beginUpdate(key, value, flags); err != nil {
		return err
	}
	defer pa.exit()
	if flags != UpdateAny {
		return syscall.EINVAL
	}
	if ne.Uint32(key) >= pa.slots.n {
		return syscall.E2BIG
	}
	return errf(syscall.EBADF, "prog_array slots are set with SetProgram")
}

func (pa *progArray) Delete(key []byte) error {
	if err := pa.beginDelete(key); err != nil {
		return err
	}
	defer pa.exit()
	i := ne.Uint32(key)
	if i >= pa.slots.n {
		return syscall.E2BIG
	}
	if !pa.set(i, nil) {
		return syscall.ENOENT
	}
	return nil
}

func (pa *progArray) NextKey(key, nextOut []byte) error {
	if err := pa.beginNextKey(key, nextOut); err != nil {
		return err
	}
	defer pa.exit()
	return arrayNextKey(pa.slots.n, key, nextOut)
}

// arrayOfMaps is BPF_MAP_TYPE_ARRAY_OF_MAPS. A program's lookup returns the
// inner map's handle; the array holds a reference to each inner map.
type arrayOfMaps struct {
	common
	slots slotTable[innerSlot]
	mu    sync.Mutex // guards the slots' m
}

// innerSlot is a slot of an array of maps: the inner map's handle, which
// programs read, and the map.
type innerSlot struct {
	handle atomic.Uint64
	m      Map
}

func newArrayOfMaps(s *Spec) (Map, error) {
	am := &arrayOfMaps{slots: newSlotTable[innerSlot](s.MaxEntries)}
	if err := am.init(am, s); err != nil {
		return nil, err
	}
	am.destroy = func() {
		am.slots.each(func(i uint32, _ *innerSlot) { am.set(i, nil) })
	}
	return am, nil
}

func (am *arrayOfMaps) LookupAddr(key []byte, cpu int) uint64 {
	if len(key) < 4 {
		return 0
	}
	sl := am.slots.get(ne.Uint32(key))
	if sl == nil {
		return 0
	}
	return sl.handle.Load()
}

func (am *arrayOfMaps) UpdateElem(key, value []byte, flags uint64, cpu int) error {
	return syscall.EINVAL
}
func (am *arrayOfMaps) DeleteElem(key []byte) error { return syscall.EINVAL }

// set stores m (already retained, or nil) and releases the map it
// replaces; it reports whether there was one.
func (am *arrayOfMaps) set(i uint32, m Map) bool {
	var h uint64
	if m != nil {
		h = m.Handle()
	}
	am.mu.Lock()
	var old Map
	if sl := am.slots.get(i); sl != nil || m != nil {
		if sl == nil {
			sl = am.slots.at(i)
		}
		old = sl.m
		sl.m = m
		sl.handle.Store(h)
	}
	am.mu.Unlock()
	if old != nil {
		old.Release()
	}
	return old != nil
}

// acceptInner checks that m may be stored in a map whose inner template is
// t, and takes a reference to it.
func acceptInner(t *Spec, m Map) error {
	if c, ok := m.(closer); !ok || c.closedForGo() {
		return errf(syscall.EBADF, "inner map is closed")
	}
	if !metaEqual(t, m.Spec()) {
		return errf(syscall.EINVAL, "inner map %v does not match the template %v", m.Spec(), t)
	}
	return m.Retain()
}

func (am *arrayOfMaps) SetInner(key []byte, inner Map) error {
	if inner == nil {
		return am.Delete(key)
	}
	if err := am.beginUpdate(key, make([]byte, 4), UpdateAny); err != nil {
		return err
	}
	defer am.exit()
	return am.setInner(ne.Uint32(key), inner)
}

func (am *arrayOfMaps) setInner(i uint32, inner Map) error {
	if i >= am.slots.n {
		return syscall.E2BIG
	}
	if err := acceptInner(am.spec.InnerMap, inner); err != nil {
		return err
	}
	am.set(i, inner)
	return nil
}

func (am *arrayOfMaps) Inner(key []byte) (Map, bool) {
	if len(key) != 4 {
		return nil, false
	}
	am.mu.Lock()
	defer am.mu.Unlock()
	sl := am.slots.get(ne.Uint32(key))
	if sl == nil || sl.m == nil {
		return nil, false
	}
	return sl.m, true
}

func (am *arrayOfMaps) Lookup(key, valueOut []byte) error {
	return am.LookupWithFlags(key, valueOut, 0)
}

// LookupWithFlags writes the inner map's ID.
func (am *arrayOfMaps) LookupWithFlags(key, valueOut []byte, flags uint64) error {
	if err := am.beginLookup(key, valueOut, flags); err != nil {
		return err
	}
	defer am.exit()
	m, ok := am.Inner(key)
	if !ok {
		return syscall.ENOENT
	}
	ne.PutUint32(valueOut, m.ID())
	return nil
}

// Update takes the 4-byte ID of the inner map (what Lookup returns): with
// no file descriptors, IDs name maps.
func (am *arrayOfMaps) Update(key, value []byte, flags uint64) error {
	if err := am.beginUpdate(key, value, flags); err != nil {
		return err
	}
	defer am.exit()
	if flags != UpdateAny {
		return syscall.EINVAL
	}
	i := ne.Uint32(key)
	if i >= am.slots.n {
		return syscall.E2BIG
	}
	m, ok := FromID(ne.Uint32(value))
	if !ok {
		return errf(syscall.EBADF, "no map with ID %d", ne.Uint32(value))
	}
	return am.setInner(i, m)
}

func (am *arrayOfMaps) Delete(key []byte) error {
	if err := am.beginDelete(key); err != nil {
		return err
	}
	defer am.exit()
	i := ne.Uint32(key)
	if i >= am.slots.n {
		return syscall.E2BIG
	}
	if !am.set(i, nil) {
		return syscall.ENOENT
	}
	return nil
}

func (am *arrayOfMaps) NextKey(key, nextOut []byte) error {
	if err := am.beginNextKey(key, nextOut); err != nil {
		return err
	}
	defer am.exit()
	return arrayNextKey(am.slots.n, key, nextOut)
}
