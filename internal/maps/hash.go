package maps

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// htab is the hash map family: BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH,
// LRU_PERCPU_HASH and HASH_OF_MAPS, laid out as the kernel's hashtab.c.
//
// Everything lives off the Go heap, in three buffers:
//
//   - buckets: one uint32 per bucket (roundup_pow_of_two(max_entries) of
//     them), the index+1 of the first element, 0 when empty;
//   - records: per element, 16 bytes of links and state and the key,
//     rounded up to 8 bytes;
//   - values: per element (and per CPU, CPU-major), the value rounded up
//     to 8 bytes. This buffer is the map's one region.
//
// Elements are taken from a free list or, while the map has never been
// full, from the untouched end of the buffers, so pages are only touched
// when elements are first used: preallocation costs address space, not
// memory. BPF_F_NO_PREALLOC maps are laid out the same way.
//
// Concurrency follows the kernel: lookups take no lock and no reference.
// They walk a bucket's chain with atomic loads; a chain ends in a "nulls"
// marker naming its bucket, so a walk that was led into another bucket by
// an element deleted and reused meanwhile notices and restarts
// (hlist_nulls). Updates and deletes take the bucket's lock (a striped
// mutex). A deleted element goes back to the free list at once and may be
// reused while a program still holds the address of its value — exactly
// the kernel's preallocated maps' behaviour; the memory itself stays
// mapped for the map's life. As in the kernel, an update of an existing key
// in a hash or LRU map links a new element before unlinking the old one,
// so that concurrent lookups see the old or the new value, never a mix;
// per-CPU maps and maps of maps update in place.
type htab struct {
	common
	vc                 valueCopier
	percpu, lru, fd    bool
	keySize            uintptr
	recSize            uintptr
	stride             uint64 // bytes per value slot
	ncpu               int
	nElems             uint32 // capacity in elements
	max                uint32
	mask               uint32 // n_buckets - 1
	seed               uint32
	buckets, recs, vls unsafe.Pointer
	valsAddr           uint64
	bufs               [3]*mem.Buffer

	locks    []paddedMutex
	lockMask uint32
	free     []freeShard
	freeMask uint32
	fresh    atomic.Uint32 // elements [fresh, nElems) were never used
	count    atomic.Int64  // live elements
	clock    atomic.Uint32 // LRU clock hand
}

type paddedMutex struct {
	sync.Mutex
	_ [64 - 8]byte
}

// freeShard is a lock-free stack of free elements: the low 32 bits of head
// are the index+1 of the top element, the high 32 bits a counter that
// changes on every operation (against ABA).
type freeShard struct {
	head atomic.Uint64
	_    [64 - 8]byte
}

// Element record layout.
const (
	recNext  = 0  // uint32: chain link (index+1, or nullsBit|bucket)
	recHash  = 4  // uint32: the key's hash
	recFree  = 8  // uint32: free list link (index+1, 0 at the end)
	recState = 12 // uint32: state | refBit
	recKey   = 16

	nullsBit = 1 << 31

	stateFree  = 0
	stateOwned = 1 // taken from the free list, not linked yet (or evicted)
	stateLive  = 2
	stateMask  = 3
	refBit     = 4 // LRU: used since the clock hand last passed
)

func nulls(b uint32) uint32 { return nullsBit | b }

// hashLayout is the shape of a hash map's buffers.
type hashLayout struct {
	nBuckets, nElems, shards uint64
	recSize, stride, ncpu    uint64
}

func newHashLayout(s *Spec) hashLayout {
	percpu := s.Type == TypePerCPUHash || s.Type == TypeLRUPerCPUHash
	lru := s.Type == TypeLRUHash || s.Type == TypeLRUPerCPUHash
	l := hashLayout{
		nBuckets: pow2Ceil(uint64(s.MaxEntries)),
		shards:   pow2Ceil(uint64(min(max(s.NumCPU, 1), 64))),
		recSize:  recKey + uint64(roundUp8(s.KeySize)),
		stride:   uint64(roundUp8(s.ValueSize)),
		ncpu:     1,
	}
	if percpu {
		l.ncpu = uint64(s.NumCPU)
	}
	if s.Type == TypeHashOfMaps {
		l.stride = 8 // the inner map's handle
	}
	l.nElems = uint64(s.MaxEntries)
	if !percpu && !lru && s.Type != TypeHashOfMaps {
		// Spare elements for updates of existing keys in a full map (the
		// kernel's extra_elems).
		l.nElems += l.shards
	}
	return l
}

func newHash(s *Spec) (Map, error) {
	l := newHashLayout(s)
	t := &htab{
		percpu:  s.Type == TypePerCPUHash || s.Type == TypeLRUPerCPUHash,
		lru:     s.Type == TypeLRUHash || s.Type == TypeLRUPerCPUHash,
		fd:      s.Type == TypeHashOfMaps,
		keySize: uintptr(s.KeySize),
		recSize: uintptr(l.recSize),
		stride:  l.stride,
		ncpu:    int(l.ncpu),
		max:     s.MaxEntries,
	}
	t.vc.init(s)
	if s.Flags&FlagZeroSeed == 0 {
		t.seed = rand.Uint32()
	}
	nb := l.nBuckets
	t.mask = uint32(nb - 1)
	t.free = make([]freeShard, l.shards)
	t.freeMask = uint32(l.shards - 1)
	nElems := l.nElems
	if nElems >= nullsBit-1 {
		return nil, errf(syscall.ENOMEM, "%d elements", nElems)
	}
	t.nElems = uint32(nElems)
	nLocks := min(nb, 1024)
	t.locks = make([]paddedMutex, nLocks)
	t.lockMask = uint32(nLocks - 1)

	sizes := [3]uint64{nb * 4, nElems * uint64(t.recSize), nElems * t.stride * uint64(t.ncpu)}
	for i, n := range sizes {
		b, err := allocBuffer(n)
		if err != nil {
			t.freeBufs()
			return nil, err
		}
		t.bufs[i] = b
	}
	t.buckets, t.recs, t.vls = bufBase(t.bufs[0]), bufBase(t.bufs[1]), bufBase(t.bufs[2])
	t.valsAddr = addrOf(t.vls)
	if err := t.init(t, s); err != nil {
		t.freeBufs()
		return nil, err
	}
	if !t.fd {
		t.regions = t.valueRegion(t.valsAddr, sizes[2])
	}
	t.destroy = t.teardown
	return t, nil
}

func (t *htab) freeBufs() {
	for _, b := range t.bufs {
		if b != nil {
			b.Free()
		}
	}
}

func (t *htab) teardown() {
	if t.fd {
		// Drop the references to the inner maps.
		for b := range t.mask + 1 {
			for x := atomic.LoadUint32(t.head(b)); x != 0 && x&nullsBit == 0; x = atomic.LoadUint32(t.nextp(x - 1)) {
				t.releaseInner(x - 1)
			}
		}
	}
	t.freeBufs()
}

func (t *htab) head(b uint32) *uint32 { return (*uint32)(unsafe.Add(t.buckets, uintptr(b)*4)) }
func (t *htab) rec(e uint32) unsafe.Pointer {
	return unsafe.Add(t.recs, uintptr(e)*t.recSize)
}
func (t *htab) nextp(e uint32) *uint32  { return (*uint32)(t.rec(e)) }
func (t *htab) hashp(e uint32) *uint32  { return (*uint32)(unsafe.Add(t.rec(e), recHash)) }
func (t *htab) freep(e uint32) *uint32  { return (*uint32)(unsafe.Add(t.rec(e), recFree)) }
func (t *htab) statep(e uint32) *uint32 { return (*uint32)(unsafe.Add(t.rec(e), recState)) }
func (t *htab) key(e uint32) []byte     { return bytesAt(unsafe.Add(t.rec(e), recKey), t.keySize) }
func (t *htab) val(e uint32, cpu int) unsafe.Pointer {
	return unsafe.Add(t.vls, (uint64(cpu)*uint64(t.nElems)+uint64(e))*t.stride)
}
func (t *htab) lockFor(b uint32) *sync.Mutex { return &t.locks[b&t.lockMask].Mutex }
func (t *htab) hash(key []byte) uint32       { return jhash(key, t.seed) }

func (t *htab) setState(e, s uint32) { set32(t.statep(e), s) }

func keyEq(a, b []byte) bool { return string(a) == string(b) }

// find looks key up without a lock; it returns index+1, or 0.
func (t *htab) find(key []byte, h uint32) uint32 {
	b := h & t.mask
	for restarts := 0; restarts < 16; restarts++ {
		x := atomic.LoadUint32(t.head(b))
		if x == 0 {
			return 0
		}
		for steps := uint32(0); x&nullsBit == 0 && steps <= t.nElems; steps++ {
			e := x - 1
			if atomic.LoadUint32(t.hashp(e)) == h && keyEq(t.key(e), key) {
				return x
			}
			x = atomic.LoadUint32(t.nextp(e))
		}
		if x == nulls(b) {
			return 0
		}
		// The walk ended in another bucket (or went round too long): an
		// element was moved under us. Start again.
	}
	l := t.lockFor(b)
	l.Lock()
	x, _ := t.findLocked(key, h)
	l.Unlock()
	return x
}

// findLocked looks key up with its bucket's lock held. It returns index+1
// (0 if absent) and the link that points to the element.
func (t *htab) findLocked(key []byte, h uint32) (uint32, *uint32) {
	link := t.head(h & t.mask)
	x := atomic.LoadUint32(link)
	if x == 0 {
		return 0, link
	}
	for x&nullsBit == 0 {
		e := x - 1
		if atomic.LoadUint32(t.hashp(e)) == h && keyEq(t.key(e), key) {
			return x, link
		}
		link = t.nextp(e)
		x = atomic.LoadUint32(link)
	}
	return 0, link
}

// linkHead puts element e at the head of bucket b (lock held): a
// concurrent lookup finds it before an older element with the same key.
func (t *htab) linkHead(b, e uint32) {
	hp := t.head(b)
	old := atomic.LoadUint32(hp)
	if old == 0 {
		old = nulls(b)
	}
	set32(t.nextp(e), old)
	t.setState(e, stateLive)
	atomic.StoreUint32(hp, e+1) // publishes the element
}

// unlink removes element x-1, which link points to, from bucket b (lock
// held). The element keeps its next link, so that lookups standing on it
// carry on along the chain.
func (t *htab) unlink(b uint32, link *uint32, x uint32) {
	nx := atomic.LoadUint32(t.nextp(x - 1))
	if link == t.head(b) && nx&nullsBit != 0 {
		nx = 0
	}
	set32(link, nx)
}

// linkTo returns the link that points to x after e was linked at the head
// of the bucket in which link pointed to x.
func (t *htab) linkTo(b uint32, link *uint32, e uint32) *uint32 {
	if link == t.head(b) {
		return t.nextp(e)
	}
	return link
}

func (t *htab) push(shard, e uint32) {
	t.setState(e, stateFree)
	sh := &t.free[shard&t.freeMask]
	fp := t.freep(e)
	for {
		old := sh.head.Load()
		set32(fp, uint32(old))
		if sh.head.CompareAndSwap(old, (old>>32+1)<<32|uint64(e+1)) {
			return
		}
	}
}

func (t *htab) popShard(sh *freeShard) (uint32, bool) {
	for {
		old := sh.head.Load()
		x := uint32(old)
		if x == 0 {
			return 0, false
		}
		nx := atomic.LoadUint32(t.freep(x - 1))
		if sh.head.CompareAndSwap(old, (old>>32+1)<<32|uint64(nx)) {
			return x - 1, true
		}
	}
}

// pop takes a free element: from the shard's free list, from the never
// used ones, or from another shard.
func (t *htab) pop(shard uint32) (uint32, bool) {
	e, ok := t.popShard(&t.free[shard&t.freeMask])
	if !ok {
		for {
			f := t.fresh.Load()
			if f >= t.nElems {
				break
			}
			if t.fresh.CompareAndSwap(f, f+1) {
				e, ok = f, true
				break
			}
		}
	}
	for i := uint32(1); !ok && i <= t.freeMask; i++ {
		e, ok = t.popShard(&t.free[(shard+i)&t.freeMask])
	}
	if ok {
		t.setState(e, stateOwned)
	}
	return e, ok
}

// popWait pops when the element is owed (the count was reserved): the
// pool can only be empty while other updates hold spare elements for a
// moment.
func (t *htab) popWait(shard uint32) uint32 {
	for {
		if e, ok := t.pop(shard); ok {
			return e
		}
		runtime.Gosched()
	}
}

// lruAlloc takes a free element or evicts one (bpf_lru_pop_free). Eviction
// is a CLOCK (second chance) sweep over the elements: lookups from programs
// set an element's reference bit; the hand clears set bits and evicts the
// first element whose bit is clear. This approximates the kernel's
// active/inactive lists with reference bits.
func (t *htab) lruAlloc(shard uint32) (uint32, bool) {
	if e, ok := t.pop(shard); ok {
		return e, true
	}
	n := t.fresh.Load()
	for i := uint32(0); n > 0 && i < 3*n+64; i++ {
		if i%64 == 63 {
			if e, ok := t.pop(shard); ok {
				return e, true
			}
		}
		e := t.clock.Add(1) % n
		sp := t.statep(e)
		st := atomic.LoadUint32(sp)
		if st&stateMask != stateLive {
			continue
		}
		if st&refBit != 0 {
			atomic.AndUint32(sp, ^uint32(refBit))
			continue
		}
		if t.evict(e) {
			return e, true
		}
	}
	return 0, false
}

// evict unlinks live element e and makes it the caller's
// (htab_lru_map_delete_node).
func (t *htab) evict(e uint32) bool {
	h := atomic.LoadUint32(t.hashp(e))
	l := t.lockFor(h & t.mask)
	l.Lock()
	defer l.Unlock()
	h = atomic.LoadUint32(t.hashp(e))
	if atomic.LoadUint32(t.statep(e))&stateMask != stateLive || t.lockFor(h&t.mask) != l {
		return false // freed or reused meanwhile
	}
	b := h & t.mask
	link := t.head(b)
	for x := atomic.LoadUint32(link); x != 0 && x&nullsBit == 0; x = atomic.LoadUint32(link) {
		if x == e+1 {
			t.unlink(b, link, x)
			t.setState(e, stateOwned)
			t.count.Add(-1)
			return true
		}
		link = t.nextp(x - 1)
	}
	return false
}

// fill writes the key and hash of an owned element.
func (t *htab) fill(e uint32, key []byte, h uint32) {
	copy(t.key(e), key)
	set32(t.hashp(e), h)
}

func checkFlags(exists bool, flags uint64) error {
	switch flags &^ UpdateLock {
	case UpdateNoExist:
		if exists {
			return syscall.EEXIST
		}
	case UpdateExist:
		if !exists {
			return syscall.ENOENT
		}
	}
	return nil
}

// update is the map_update_elem of each kind; all is true for the
// syscall side, which gives per-CPU maps every CPU's value.
func (t *htab) update(key, value []byte, flags uint64, cpu int, all bool) error {
	switch {
	case t.lru && t.percpu:
		return t.updateLRUPercpu(key, value, flags, cpu, all)
	case t.lru:
		return t.updateLRU(key, value, flags)
	case t.percpu:
		return t.updateInPlace(key, value, 0, flags, cpu, all)
	}
	return t.updateReplace(key, value, flags)
}

// updateReplace is htab_map_update_elem.
func (t *htab) updateReplace(key, value []byte, flags uint64) error {
	if flags&^UpdateLock > UpdateExist {
		return syscall.EINVAL
	}
	lock := flags&UpdateLock != 0
	if lock && !t.vc.hasLock {
		return syscall.EINVAL
	}
	h := t.hash(key)
	if lock {
		// Update in place under the element's lock, without the bucket's.
		x := t.find(key, h)
		if err := checkFlags(x != 0, flags); err != nil {
			return err
		}
		if x != 0 {
			t.vc.copyInLocked(t.val(x-1, 0), value)
			return nil
		}
	}
	b := h & t.mask
	l := t.lockFor(b)
	l.Lock()
	defer l.Unlock()
	x, link := t.findLocked(key, h)
	if err := checkFlags(x != 0, flags); err != nil {
		return err
	}
	if x != 0 && lock {
		t.vc.copyInLocked(t.val(x-1, 0), value)
		return nil
	}
	var e uint32
	if x != 0 {
		var ok bool
		if e, ok = t.pop(h); !ok {
			// Every spare element is in use by concurrent updates: update
			// in place rather than fail.
			t.vc.copyIn(t.val(x-1, 0), value)
			return nil
		}
	} else {
		if t.count.Add(1) > int64(t.max) {
			t.count.Add(-1)
			return syscall.E2BIG
		}
		e = t.popWait(h)
	}
	t.fill(e, key, h)
	if lock {
		t.vc.copyInLocked(t.val(e, 0), value)
	} else {
		t.vc.copyIn(t.val(e, 0), value)
	}
	t.linkHead(b, e)
	if x != 0 {
		t.unlink(b, t.linkTo(b, link, e), x)
		t.push(h, x-1)
	}
	return nil
}

// updateLRU is htab_lru_map_update_elem: the new element is taken (maybe
// by evicting another) before the bucket is locked.
func (t *htab) updateLRU(key, value []byte, flags uint64) error {
	if flags > UpdateExist {
		return syscall.EINVAL
	}
	h := t.hash(key)
	e, ok := t.lruAlloc(h)
	if !ok {
		return syscall.ENOMEM
	}
	t.fill(e, key, h)
	t.vc.copyIn(t.val(e, 0), value)
	b := h & t.mask
	l := t.lockFor(b)
	l.Lock()
	x, link := t.findLocked(key, h)
	if err := checkFlags(x != 0, flags); err != nil {
		l.Unlock()
		t.push(h, e)
		return err
	}
	t.linkHead(b, e)
	t.count.Add(1)
	if x != 0 {
		atomic.OrUint32(t.statep(e), refBit)
		t.unlink(b, t.linkTo(b, link, e), x)
		t.count.Add(-1)
		t.push(h, x-1)
	}
	l.Unlock()
	return nil
}

// updateLRUPercpu is __htab_lru_percpu_map_update_elem.
func (t *htab) updateLRUPercpu(key, value []byte, flags uint64, cpu int, all bool) error {
	if flags > UpdateExist {
		return syscall.EINVAL
	}
	h := t.hash(key)
	var e uint32
	spare := false
	if flags != UpdateExist {
		var ok bool
		if e, ok = t.lruAlloc(h); !ok {
			return syscall.ENOMEM
		}
		spare = true
	}
	b := h & t.mask
	l := t.lockFor(b)
	l.Lock()
	x, _ := t.findLocked(key, h)
	err := checkFlags(x != 0, flags)
	if err == nil {
		if x != 0 {
			atomic.OrUint32(t.statep(x-1), refBit)
			t.copyPercpu(x-1, value, cpu, all)
		} else {
			t.fill(e, key, h)
			t.initPercpu(e, value, cpu, all)
			t.linkHead(b, e)
			t.count.Add(1)
			spare = false
		}
	}
	l.Unlock()
	if spare {
		t.push(h, e)
	}
	return err
}

// updateInPlace is htab_map_update_elem_in_place, for per-CPU hash maps
// and (with handle) hash of maps. It returns the inner map replaced.
func (t *htab) updateInPlace(key, value []byte, handle uint64, flags uint64, cpu int, all bool) error {
	if flags > UpdateExist {
		return syscall.EINVAL
	}
	h := t.hash(key)
	b := h & t.mask
	l := t.lockFor(b)
	l.Lock()
	x, _ := t.findLocked(key, h)
	if err := checkFlags(x != 0, flags); err != nil {
		l.Unlock()
		return err
	}
	var old uint64
	if x != 0 {
		if t.fd {
			old = atomic.SwapUint64((*uint64)(t.val(x-1, 0)), handle)
		} else {
			t.copyPercpu(x-1, value, cpu, all)
		}
		l.Unlock()
		if old != 0 {
			releaseHandle(old)
		}
		return nil
	}
	if t.count.Add(1) > int64(t.max) {
		t.count.Add(-1)
		l.Unlock()
		return syscall.E2BIG
	}
	e := t.popWait(h)
	t.fill(e, key, h)
	if t.fd {
		atomic.StoreUint64((*uint64)(t.val(e, 0)), handle)
	} else {
		t.initPercpu(e, value, cpu, all)
	}
	t.linkHead(b, e)
	l.Unlock()
	return nil
}

func releaseHandle(h uint64) {
	if m, ok := FromHandle(h); ok {
		m.Release()
	}
}

func (t *htab) releaseInner(e uint32) {
	if h := atomic.SwapUint64((*uint64)(t.val(e, 0)), 0); h != 0 {
		releaseHandle(h)
	}
}

// copyPercpu is pcpu_copy_value: CPU cpu's value from a program, or every
// CPU's whole slot from the syscall side.
func (t *htab) copyPercpu(e uint32, value []byte, cpu int, all bool) {
	if !all {
		t.vc.copyIn(t.val(e, cpu), value)
		return
	}
	for c := range t.ncpu {
		copy(bytesAt(t.val(e, c), uintptr(t.stride)), value[uint64(c)*t.stride:])
	}
}

// initPercpu is pcpu_init_value: a new element from a program gets its
// value on CPU cpu and zeroes elsewhere.
func (t *htab) initPercpu(e uint32, value []byte, cpu int, all bool) {
	if all {
		t.copyPercpu(e, value, cpu, true)
		return
	}
	for c := range t.ncpu {
		if c == cpu {
			clear(bytesAt(t.val(e, c), uintptr(t.stride)))
			t.vc.copyIn(t.val(e, c), value)
		} else {
			clear(bytesAt(t.val(e, c), uintptr(t.stride)))
		}
	}
}

// delete is htab_map_delete_elem.
func (t *htab) delete(key []byte) error {
	h := t.hash(key)
	b := h & t.mask
	l := t.lockFor(b)
	l.Lock()
	x, link := t.findLocked(key, h)
	if x == 0 {
		l.Unlock()
		return syscall.ENOENT
	}
	t.unlink(b, link, x)
	t.count.Add(-1)
	var inner uint64
	if t.fd {
		inner = atomic.SwapUint64((*uint64)(t.val(x-1, 0)), 0)
	}
	t.push(h, x-1)
	l.Unlock()
	if inner != 0 {
		releaseHandle(inner)
	}
	return nil
}

// Program side.

func (t *htab) LookupAddr(key []byte, cpu int) uint64 {
	if len(key) < int(t.keySize) {
		return 0
	}
	if !t.percpu {
		cpu = 0
	} else if uint(cpu) >= uint(t.ncpu) {
		return 0
	}
	key = key[:t.keySize]
	x := t.find(key, t.hash(key))
	if x == 0 {
		return 0
	}
	e := x - 1
	if t.lru {
		// bpf_lru_node_set_ref: write only when the bit is clear, to keep
		// the cache line clean.
		if sp := t.statep(e); atomic.LoadUint32(sp)&refBit == 0 {
			atomic.OrUint32(sp, refBit)
		}
	}
	if t.fd {
		return atomic.LoadUint64((*uint64)(t.val(e, 0)))
	}
	return t.valsAddr + (uint64(cpu)*uint64(t.nElems)+uint64(e))*t.stride
}

func (t *htab) UpdateElem(key, value []byte, flags uint64, cpu int) error {
	if t.spec.Flags&FlagRdonlyProg != 0 {
		return syscall.EPERM
	}
	if t.fd || len(key) < int(t.keySize) || len(value) < int(t.spec.ValueSize) || t.percpu && uint(cpu) >= uint(t.ncpu) {
		return syscall.EINVAL
	}
	return t.update(key[:t.keySize], value, flags, cpu, false)
}

func (t *htab) DeleteElem(key []byte) error {
	if t.spec.Flags&FlagRdonlyProg != 0 {
		return syscall.EPERM
	}
	if t.fd || len(key) < int(t.keySize) {
		return syscall.EINVAL
	}
	return t.delete(key[:t.keySize])
}

// Go side.

func (t *htab) Lookup(key, valueOut []byte) error { return t.LookupWithFlags(key, valueOut, 0) }

func (t *htab) LookupWithFlags(key, valueOut []byte, flags uint64) error {
	if err := t.beginLookup(key, valueOut, flags); err != nil {
		return err
	}
	defer t.exit()
	h := t.hash(key)
	l := t.lockFor(h & t.mask)
	l.Lock()
	defer l.Unlock()
	x, _ := t.findLocked(key, h)
	if x == 0 {
		return syscall.ENOENT
	}
	t.copyOut(x-1, valueOut, flags)
	return nil
}

// copyOut copies an element's value as the syscall side sees it.
func (t *htab) copyOut(e uint32, valueOut []byte, flags uint64) {
	switch {
	case t.percpu:
		for c := range t.ncpu {
			copy(valueOut[uint64(c)*t.stride:], bytesAt(t.val(e, c), uintptr(t.stride)))
		}
	case t.fd:
		var id uint32
		if m, ok := FromHandle(atomic.LoadUint64((*uint64)(t.val(e, 0)))); ok {
			id = m.ID()
		}
		ne.PutUint32(valueOut, id)
	case flags&UpdateLock != 0:
		t.vc.copyOutLocked(valueOut, t.val(e, 0))
	default:
		t.vc.copyOut(valueOut, t.val(e, 0))
	}
}

func (t *htab) LookupAndDelete(key, valueOut []byte) error {
	return t.LookupAndDeleteWithFlags(key, valueOut, 0)
}

func (t *htab) LookupAndDeleteWithFlags(key, valueOut []byte, flags uint64) error {
	if err := t.beginLookupAndDelete(key, valueOut, flags); err != nil {
		return err
	}
	defer t.exit()
	if t.fd {
		return ENOTSUPP
	}
	h := t.hash(key)
	b := h & t.mask
	l := t.lockFor(b)
	l.Lock()
	defer l.Unlock()
	x, link := t.findLocked(key, h)
	if x == 0 {
		return syscall.ENOENT
	}
	t.copyOut(x-1, valueOut, flags)
	t.unlink(b, link, x)
	t.count.Add(-1)
	t.push(h, x-1)
	return nil
}

func (t *htab) Update(key, value []byte, flags uint64) error {
	if err := t.beginUpdate(key, value, flags); err != nil {
		return err
	}
	defer t.exit()
	if t.fd {
		m, ok := FromID(ne.Uint32(value))
		if !ok {
			return errf(syscall.EBADF, "no map with ID %d", ne.Uint32(value))
		}
		return t.setInner(key, m, flags)
	}
	return t.update(key, value, flags, 0, true)
}

func (t *htab) setInner(key []byte, m Map, flags uint64) error {
	if err := acceptInner(t.spec.InnerMap, m); err != nil {
		return err
	}
	if err := t.updateInPlace(key, nil, m.Handle(), flags, 0, true); err != nil {
		m.Release()
		return err
	}
	return nil
}

// SetInner stores inner under key (hash of maps); nil deletes key.
func (t *htab) SetInner(key []byte, inner Map) error {
	if !t.fd {
		return syscall.EINVAL
	}
	if inner == nil {
		return t.Delete(key)
	}
	if err := t.beginUpdate(key, make([]byte, 4), UpdateAny); err != nil {
		return err
	}
	defer t.exit()
	return t.setInner(key, inner, UpdateAny)
}

// Inner returns the map stored under key (hash of maps).
func (t *htab) Inner(key []byte) (Map, bool) {
	if !t.fd || len(key) != int(t.keySize) {
		return nil, false
	}
	h := t.hash(key)
	l := t.lockFor(h & t.mask)
	l.Lock()
	defer l.Unlock()
	x, _ := t.findLocked(key, h)
	if x == 0 {
		return nil, false
	}
	return FromHandle(atomic.LoadUint64((*uint64)(t.val(x-1, 0))))
}

func (t *htab) Delete(key []byte) error {
	if err := t.beginDelete(key); err != nil {
		return err
	}
	defer t.exit()
	return t.delete(key)
}

// NextKey is htab_map_get_next_key: buckets in index order, each bucket's
// chain from its head (the most recently inserted key first). A key that
// is not in the map restarts from the first key. With BPF_F_ZERO_SEED the
// order is the kernel's for the same sequence of updates.
func (t *htab) NextKey(key, nextOut []byte) error {
	if err := t.beginNextKey(key, nextOut); err != nil {
		return err
	}
	defer t.exit()
	b := uint32(0)
	if key != nil {
		h := t.hash(key)
		b = h & t.mask
		l := t.lockFor(b)
		l.Lock()
		x, _ := t.findLocked(key, h)
		if x != 0 {
			if nx := atomic.LoadUint32(t.nextp(x - 1)); nx&nullsBit == 0 {
				copy(nextOut, t.key(nx-1))
				l.Unlock()
				return nil
			}
			b++
		} else {
			b = 0
		}
		l.Unlock()
	}
	for ; b <= t.mask; b++ {
		if atomic.LoadUint32(t.head(b)) == 0 {
			continue
		}
		l := t.lockFor(b)
		l.Lock()
		if x := atomic.LoadUint32(t.head(b)); x != 0 {
			copy(nextOut, t.key(x-1))
			l.Unlock()
			return nil
		}
		l.Unlock()
	}
	return syscall.ENOENT
}

// ForEach walks the map without locks, as bpf_for_each_map_elem does: fn
// may update or delete elements, including the current one. Hash of maps
// is not iterable (as in the kernel): ForEach does nothing.
func (t *htab) ForEach(cpu int, fn func(key []byte, valueAddr uint64) bool) int {
	if t.fd {
		return 0
	}
	if !t.percpu {
		cpu = 0
	} else if uint(cpu) >= uint(t.ncpu) {
		return 0
	}
	n := 0
	for b := range t.mask + 1 {
		x := atomic.LoadUint32(t.head(b))
		for x != 0 && x&nullsBit == 0 {
			e := x - 1
			x = atomic.LoadUint32(t.nextp(e))
			n++
			if !fn(t.key(e), addrOf(t.val(e, cpu))) {
				return n
			}
		}
	}
	return n
}

// Len returns the number of elements. (An insert into a full map counts
// itself for a moment before it fails: that is not an element.)
func (t *htab) Len() int { return int(min(t.count.Load(), int64(t.max))) }
