package maps

import (
	"errors"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// RingBufMap is implemented by BPF_MAP_TYPE_RINGBUF maps.
//
// The producer side is the kernel's ringbuf.c: records are 8-byte aligned,
// each with an 8-byte header (the length with the busy and discard bits,
// and a page offset), reserved under a lock that only moves the producer
// position, committed by clearing the busy bit. Positions grow without
// wrapping, so Query returns what the kernel's bpf_ringbuf_query would.
// Like the kernel, the data pages are mapped twice in a row (a memfd
// mapped at two adjacent addresses), so a record that wraps around the end
// is contiguous for the program; where that is impossible the second half
// is a shadow whose bytes are copied to the start of the ring on commit.
//
// The consumer side replaces mmap and epoll: Read blocks until a record is
// committed, skipping discarded ones.
type RingBufMap interface {
	Map
	// Reserve is bpf_ringbuf_reserve: the address of size bytes for a
	// record, or 0 (no room, size too big, flags not 0).
	Reserve(size, flags uint64) uint64
	// Submit and Discard are bpf_ringbuf_submit and bpf_ringbuf_discard
	// of the record at addr. BPF_RB_NO_WAKEUP and BPF_RB_FORCE_WAKEUP are
	// honoured: a blocked Read is woken unless NO_WAKEUP is given. They
	// fail (EINVAL) for an address that is not a reserved record.
	Submit(addr, flags uint64) error
	Discard(addr, flags uint64) error
	// Output is bpf_ringbuf_output: EAGAIN when there is no room.
	Output(data []byte, flags uint64) error
	// Query is bpf_ringbuf_query.
	Query(flag uint64) uint64
	// Read returns the next committed record, waiting until one is
	// committed, the deadline passes (os.ErrDeadlineExceeded; the zero
	// time waits forever) or the map is closed (os.ErrClosed).
	Read(deadline time.Time) ([]byte, error)
	// ReadInto is Read appending to buf.
	ReadInto(buf []byte, deadline time.Time) ([]byte, error)
}

// ErrCorruptRing is returned by Read when a record header is not one the
// producer wrote (a program wrote over it). The records up to the producer
// position are dropped.
var ErrCorruptRing = errors.New("maps: corrupt ring buffer record header")

const (
	ringbufMaxRecord = (1<<32 - 1) / 4 // RINGBUF_MAX_RECORD_SZ
	ringbufPgOff     = 3               // pages between struct bpf_ringbuf and its data
)

type ringBuf struct {
	common
	size     uint64
	mask     uint64
	data     unsafe.Pointer
	dataAddr uint64
	shadow   bool
	unmap    func()

	mu      sync.Mutex // producers
	prod    atomic.Uint64
	cons    atomic.Uint64
	readMu  sync.Mutex // consumers
	notify  chan struct{}
	waiters atomic.Int32
	done    chan struct{}
}

// forceShadow makes new ring buffers use the shadow copy (for tests).
var forceShadow bool

func newRingBuf(s *Spec) (Map, error) {
	rb := &ringBuf{size: uint64(s.MaxEntries), mask: uint64(s.MaxEntries) - 1,
		notify: make(chan struct{}, 1), done: make(chan struct{})}
	var err error
	if !forceShadow {
		rb.data, rb.unmap, err = mapTwice(uintptr(rb.size))
	}
	if forceShadow || err != nil {
		buf, err := allocBuffer(2 * rb.size)
		if err != nil {
			return nil, err
		}
		rb.data, rb.unmap, rb.shadow = bufBase(buf), func() { buf.Free() }, true
	}
	rb.dataAddr = addrOf(rb.data)
	if err := rb.init(rb, s); err != nil {
		rb.unmap()
		return nil, err
	}
	rb.regions = rb.valueRegion(rb.dataAddr, 2*rb.size)
	rb.onClose = func() { close(rb.done) }
	rb.destroy = func() {
		rings.remove(rb)
		rb.unmap()
	}
	rings.add(rb)
	return rb, nil
}

func (rb *ringBuf) hdr(pos uint64) *uint32 {
	return (*uint32)(unsafe.Add(rb.data, pos&rb.mask))
}

func (rb *ringBuf) Reserve(size, flags uint64) uint64 {
	if flags != 0 || size > ringbufMaxRecord {
		return 0
	}
	l := (size + RingBufHdrSize + 7) &^ 7
	if l > rb.size {
		return 0
	}
	cons := rb.cons.Load()
	rb.mu.Lock()
	prod := rb.prod.Load()
	if prod+l-cons > rb.mask {
		rb.mu.Unlock()
		return 0
	}
	h := rb.hdr(prod)
	atomic.StoreUint32(h, uint32(size)|RingBufBusyBit)
	*(*uint32)(unsafe.Add(unsafe.Pointer(h), 4)) = uint32(ringbufPgOff + (prod&rb.mask)/4096)
	rb.prod.Store(prod + l)
	rb.mu.Unlock()
	return addrOf(unsafe.Pointer(h)) + RingBufHdrSize
}

func (rb *ringBuf) commit(addr, flags uint64, discard bool) error {
	off := addr - RingBufHdrSize - rb.dataAddr
	if addr < rb.dataAddr+RingBufHdrSize || off >= rb.size || off%8 != 0 {
		return errf(syscall.EINVAL, "%#x is not a ring buffer record", addr)
	}
	h := (*uint32)(unsafe.Add(rb.data, off))
	lw := atomic.LoadUint32(h)
	if lw&RingBufBusyBit == 0 {
		return errf(syscall.EINVAL, "ring buffer record at %#x is not reserved", addr)
	}
	if rb.shadow {
		size := uint64(lw &^ (RingBufBusyBit | RingBufDiscardBit))
		if end := off + RingBufHdrSize + size; end > rb.size {
			copy(bytesAt(rb.data, uintptr(end-rb.size)), bytesAt(unsafe.Add(rb.data, rb.size), uintptr(end-rb.size)))
		}
	}
	nl := lw ^ RingBufBusyBit
	if discard {
		nl |= RingBufDiscardBit
	}
	atomic.StoreUint32(h, nl)
	if flags&RBForceWakeup != 0 || flags&RBNoWakeup == 0 && rb.waiters.Load() > 0 {
		select {
		case rb.notify <- struct{}{}:
		default:
		}
	}
	return nil
}

func (rb *ringBuf) Submit(addr, flags uint64) error  { return rb.commit(addr, flags, false) }
func (rb *ringBuf) Discard(addr, flags uint64) error { return rb.commit(addr, flags, true) }

func (rb *ringBuf) Output(data []byte, flags uint64) error {
	if flags&^(RBNoWakeup|RBForceWakeup) != 0 {
		return syscall.EINVAL
	}
	a := rb.Reserve(uint64(len(data)), 0)
	if a == 0 {
		return syscall.EAGAIN
	}
	copy(bytesAt(ptrOf(a), uintptr(len(data))), data)
	return rb.commit(a, flags, false)
}

func (rb *ringBuf) Query(flag uint64) uint64 {
	switch flag {
	case RBAvailData:
		c := rb.cons.Load()
		return rb.prod.Load() - c
	case RBRingSize:
		return rb.size
	case RBConsPos:
		return rb.cons.Load()
	case RBProdPos:
		return rb.prod.Load()
	}
	return 0
}

// next consumes records until a committed, not discarded one, which it
// appends to buf. ok is false when the next record is not committed yet.
func (rb *ringBuf) next(buf []byte) (out []byte, ok bool, err error) {
	cons := rb.cons.Load()
	for {
		prod := rb.prod.Load()
		if cons == prod {
			return buf, false, nil
		}
		lw := atomic.LoadUint32(rb.hdr(cons))
		if lw&RingBufBusyBit != 0 {
			return buf, false, nil
		}
		size := uint64(lw &^ RingBufDiscardBit)
		l := (size + RingBufHdrSize + 7) &^ 7
		if l > prod-cons {
			rb.cons.Store(prod)
			return buf, false, ErrCorruptRing
		}
		if lw&RingBufDiscardBit == 0 {
			off := (cons + RingBufHdrSize) & rb.mask
			first := min(size, rb.size-off)
			buf = append(buf, bytesAt(unsafe.Add(rb.data, off), uintptr(first))...)
			buf = append(buf, bytesAt(rb.data, uintptr(size-first))...)
			rb.cons.Store(cons + l)
			return buf, true, nil
		}
		cons += l
		rb.cons.Store(cons)
	}
}

func (rb *ringBuf) Read(deadline time.Time) ([]byte, error) { return rb.ReadInto(nil, deadline) }

func (rb *ringBuf) ReadInto(buf []byte, deadline time.Time) ([]byte, error) {
	if rb.closed.Load() || rb.Retain() != nil {
		return buf, os.ErrClosed
	}
	defer rb.Release()
	rb.readMu.Lock()
	defer rb.readMu.Unlock()
	var timer *time.Timer
	for {
		select {
		case <-rb.done:
			return buf, os.ErrClosed
		default:
		}
		if out, ok, err := rb.next(buf); ok || err != nil {
			return out, err
		}
		// Announce the wait, then look again: a commit after the first look
		// sees the waiter and wakes us.
		rb.waiters.Add(1)
		out, ok, err := rb.next(buf)
		if ok || err != nil {
			rb.waiters.Add(-1)
			return out, err
		}
		var expired <-chan time.Time
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				rb.waiters.Add(-1)
				return buf, os.ErrDeadlineExceeded
			}
			if timer == nil {
				timer = time.NewTimer(d)
				defer timer.Stop()
			} else {
				timer.Reset(d)
			}
			expired = timer.C
		}
		select {
		case <-rb.notify:
		case <-rb.done:
		case <-expired:
		}
		rb.waiters.Add(-1)
	}
}

func (rb *ringBuf) LookupAddr(key []byte, cpu int) uint64 { return 0 }
func (rb *ringBuf) UpdateElem(key, value []byte, flags uint64, cpu int) error {
	return ENOTSUPP
}
func (rb *ringBuf) DeleteElem(key []byte) error { return ENOTSUPP }

func (rb *ringBuf) Lookup(key, valueOut []byte) error { return rb.LookupWithFlags(key, valueOut, 0) }

func (rb *ringBuf) LookupWithFlags(key, valueOut []byte, flags uint64) error {
	if err := rb.beginLookup(key, valueOut, flags); err != nil {
		return err
	}
	rb.exit()
	return ENOTSUPP
}

func (rb *ringBuf) Update(key, value []byte, flags uint64) error {
	if err := rb.beginUpdate(key, value, flags); err != nil {
		return err
	}
	rb.exit()
	return ENOTSUPP
}

func (rb *ringBuf) Delete(key []byte) error {
	if err := rb.beginDelete(key); err != nil {
		return err
	}
	rb.exit()
	return ENOTSUPP
}

func (rb *ringBuf) NextKey(key, nextOut []byte) error {
	if err := rb.beginNextKey(key, nextOut); err != nil {
		return err
	}
	rb.exit()
	return ENOTSUPP
}

// rings finds a ring buffer from the address of one of its records, for
// bpf_ringbuf_submit and bpf_ringbuf_discard, which get nothing else.
var rings ringRegistry

type ringRegistry struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*ringBuf] // sorted by data address; replaced, never modified
}

func (r *ringBuf) cmpAddr(addr uint64) int {
	switch {
	case addr < r.dataAddr:
		return 1
	case addr >= r.dataAddr+r.size:
		return -1
	}
	return 0
}

func (rs *ringRegistry) update(f func([]*ringBuf) []*ringBuf) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var old []*ringBuf
	if p := rs.list.Load(); p != nil {
		old = *p
	}
	nw := f(slices.Clone(old))
	rs.list.Store(&nw)
}

func (rs *ringRegistry) add(rb *ringBuf) {
	rs.update(func(l []*ringBuf) []*ringBuf {
		i, _ := slices.BinarySearchFunc(l, rb.dataAddr, (*ringBuf).cmpAddr)
		return slices.Insert(l, i, rb)
	})
}

func (rs *ringRegistry) remove(rb *ringBuf) {
	rs.update(func(l []*ringBuf) []*ringBuf {
		return slices.DeleteFunc(l, func(r *ringBuf) bool { return r == rb })
	})
}

// RecordRing returns the ring buffer that the record at addr (as Reserve
// returned it) belongs to.
func RecordRing(addr uint64) (RingBufMap, bool) {
	p := rings.list.Load()
	if p == nil || addr < RingBufHdrSize {
		return nil, false
	}
	h := addr - RingBufHdrSize
	i, found := slices.BinarySearchFunc(*p, h, (*ringBuf).cmpAddr)
	if !found {
		return nil, false
	}
	return (*p)[i], true
}

// SubmitRecord and DiscardRecord commit the record at addr in whichever
// ring buffer holds it.
func SubmitRecord(addr, flags uint64) error {
	rb, ok := RecordRing(addr)
	if !ok {
		return errf(syscall.EINVAL, "%#x is not a ring buffer record", addr)
	}
	return rb.Submit(addr, flags)
}

func DiscardRecord(addr, flags uint64) error {
	rb, ok := RecordRing(addr)
	if !ok {
		return errf(syscall.EINVAL, "%#x is not a ring buffer record", addr)
	}
	return rb.Discard(addr, flags)
}
