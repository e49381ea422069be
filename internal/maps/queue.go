package maps

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// queueMap is BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK: a ring of
// max_entries+1 values (queue_stack_maps.c). Programs never address the
// values (push, pop and peek copy them); they live off the heap only so
// that a huge map fails with ENOMEM instead of exhausting the Go heap.
type queueMap struct {
	common
	stack      bool
	mu         sync.Mutex
	buf        *mem.Buffer
	elems      []byte
	vs         uint32
	size       uint32 // max_entries + 1
	head, tail uint32
}

func newQueue(s *Spec) (Map, error) {
	size := uint64(s.MaxEntries) + 1
	buf, err := allocBuffer(size * uint64(s.ValueSize))
	if err != nil {
		return nil, err
	}
	q := &queueMap{stack: s.Type == TypeStack, vs: s.ValueSize, size: uint32(min(size, 1<<32-1)), buf: buf, elems: buf.Bytes()}
	if err := q.init(q, s); err != nil {
		buf.Free()
		return nil, err
	}
	q.destroy = func() { q.buf.Free() }
	return q, nil
}

func (q *queueMap) isFull() bool {
	h := q.head + 1
	if h >= q.size {
		h = 0
	}
	return h == q.tail
}

func (q *queueMap) elem(i uint32) []byte {
	off := uint64(i) * uint64(q.vs)
	return q.elems[off : off+uint64(q.vs)]
}

// Push is queue_stack_map_push_elem: BPF_EXIST makes room in a full map by
// dropping the oldest value; without it a full map is E2BIG.
func (q *queueMap) Push(value []byte, flags uint64) error {
	if flags&UpdateNoExist != 0 || flags > UpdateExist {
		return syscall.EINVAL
	}
	if len(value) < int(q.vs) {
		return syscall.EINVAL
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.isFull() {
		if flags&UpdateExist == 0 {
			return syscall.E2BIG
		}
		if q.tail++; q.tail >= q.size {
			q.tail = 0
		}
	}
	copy(q.elem(q.head), value)
	if q.head++; q.head >= q.size {
		q.head = 0
	}
	return nil
}

func (q *queueMap) get(valueOut []byte, del bool) error {
	if len(valueOut) < int(q.vs) {
		return syscall.EINVAL
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.head == q.tail {
		clear(valueOut[:q.vs])
		return syscall.ENOENT
	}
	if !q.stack {
		copy(valueOut, q.elem(q.tail))
		if del {
			if q.tail++; q.tail >= q.size {
				q.tail = 0
			}
		}
		return nil
	}
	i := q.head - 1
	if i >= q.size {
		i = q.size - 1
	}
	copy(valueOut, q.elem(i))
	if del {
		q.head = i
	}
	return nil
}

// Pop removes the oldest (queue) or newest (stack) value; an empty map
// zeroes valueOut and fails with ENOENT.
func (q *queueMap) Pop(valueOut []byte) error { return q.get(valueOut, true) }

// Peek is Pop without removing.
func (q *queueMap) Peek(valueOut []byte) error { return q.get(valueOut, false) }

func (q *queueMap) LookupAddr(key []byte, cpu int) uint64 { return 0 }
func (q *queueMap) UpdateElem(key, value []byte, flags uint64, cpu int) error {
	return syscall.EINVAL
}
func (q *queueMap) DeleteElem(key []byte) error { return syscall.EINVAL }

func (q *queueMap) Lookup(key, valueOut []byte) error { return q.LookupWithFlags(key, valueOut, 0) }

// LookupWithFlags peeks (BPF_MAP_LOOKUP_ELEM on a queue or stack).
func (q *queueMap) LookupWithFlags(key, valueOut []byte, flags uint64) error {
	if err := q.beginLookup(key, valueOut, flags); err != nil {
		return err
	}
	defer q.exit()
	return q.Peek(valueOut)
}

func (q *queueMap) LookupAndDelete(key, valueOut []byte) error {
	return q.LookupAndDeleteWithFlags(key, valueOut, 0)
}

// LookupAndDeleteWithFlags pops.
func (q *queueMap) LookupAndDeleteWithFlags(key, valueOut []byte, flags uint64) error {
	if err := q.beginLookupAndDelete(key, valueOut, flags); err != nil {
		return err
	}
	defer q.exit()
	return q.Pop(valueOut)
}

// Update pushes.
func (q *queueMap) Update(key, value []byte, flags uint64) error {
	if err := q.beginUpdate(key, value, flags); err != nil {
		return err
	}
	defer q.exit()
	return q.Push(value, flags)
}

func (q *queueMap) Delete(key []byte) error {
	if err := q.beginDelete(key); err != nil {
		return err
	}
	q.exit()
	return syscall.EINVAL
}

func (q *queueMap) NextKey(key, nextOut []byte) error {
	if err := q.beginNextKey(key, nextOut); err != nil {
		return err
	}
	q.exit()
	return syscall.EINVAL
}

// bloomFilter is BPF_MAP_TYPE_BLOOM_FILTER (bloom_filter.c): nr_hash_funcs
// jhash functions over a bit array of a power-of-two size, off the heap
// because it can be large (up to 512 MiB).
type bloomFilter struct {
	common
	buf   *mem.Buffer
	words unsafe.Pointer // []uint64
	mask  uint32
	nHash uint32
	seed  uint32
	vs    int
}

// bloomHashes is the number of hash functions of a bloom filter.
func bloomHashes(s *Spec) uint32 {
	if nh := uint32(s.MapExtra & 0xf); nh != 0 {
		return nh
	}
	return 5
}

// bloomBits is the size of a bloom filter's bit array, the kernel's:
// max_entries * nr_hash_funcs / ln(2), as *7/5, rounded up to a power of
// two, at least 64; past 2^31 bits, 2^32 bits.
func bloomBits(s *Spec) uint64 {
	nb := uint64(s.MaxEntries) * uint64(bloomHashes(s))
	if nb > 1<<32-1 || nb/5*7 > 1<<31 {
		return 1 << 32
	}
	return max(pow2Ceil(nb/5*7), 64)
}

func newBloom(s *Spec) (Map, error) {
	nh := bloomHashes(s)
	nbits := bloomBits(s)
	mask := uint32(nbits - 1)
	buf, err := allocBuffer(nbits / 8)
	if err != nil {
		return nil, err
	}
	bf := &bloomFilter{buf: buf, words: bufBase(buf), mask: mask, nHash: nh, vs: int(s.ValueSize)}
	if s.Flags&FlagZeroSeed == 0 {
		bf.seed = rand.Uint32()
	}
	if err := bf.init(bf, s); err != nil {
		buf.Free()
		return nil, err
	}
	bf.destroy = func() { bf.buf.Free() }
	return bf, nil
}

func (bf *bloomFilter) word(bit uint32) *uint64 {
	return (*uint64)(unsafe.Add(bf.words, uintptr(bit/64)*8))
}

// Push adds value to the set.
func (bf *bloomFilter) Push(value []byte, flags uint64) error {
	if flags != UpdateAny {
		return syscall.EINVAL
	}
	if len(value) < bf.vs {
		return syscall.EINVAL
	}
	for i := range bf.nHash {
		h := jhash(value[:bf.vs], bf.seed+i) & bf.mask
		w := bf.word(h)
		if b := uint64(1) << (h % 64); atomic.LoadUint64(w)&b == 0 {
			atomic.OrUint64(w, b)
		}
	}
	return nil
}

// Peek reports (nil) whether value may be in the set, or ENOENT.
func (bf *bloomFilter) Peek(value []byte) error {
	if len(value) < bf.vs {
		return syscall.EINVAL
	}
	for i := range bf.nHash {
		h := jhash(value[:bf.vs], bf.seed+i) & bf.mask
		if atomic.LoadUint64(bf.word(h))&(1<<(h%64)) == 0 {
			return syscall.ENOENT
		}
	}
	return nil
}

func (bf *bloomFilter) Pop(valueOut []byte) error { return syscall.EOPNOTSUPP }

func (bf *bloomFilter) LookupAddr(key []byte, cpu int) uint64 { return 0 }
func (bf *bloomFilter) UpdateElem(key, value []byte, flags uint64, cpu int) error {
	return syscall.EINVAL
}
func (bf *bloomFilter) DeleteElem(key []byte) error { return syscall.EOPNOTSUPP }

func (bf *bloomFilter) Lookup(key, value []byte) error { return bf.LookupWithFlags(key, value, 0) }

// LookupWithFlags tests value (an input, as for the kernel's
// BPF_MAP_LOOKUP_ELEM on a bloom filter).
func (bf *bloomFilter) LookupWithFlags(key, value []byte, flags uint64) error {
	if err := bf.beginLookup(key, value, flags); err != nil {
		return err
	}
	defer bf.exit()
	return bf.Peek(value)
}

// Update adds value.
func (bf *bloomFilter) Update(key, value []byte, flags uint64) error {
	if err := bf.beginUpdate(key, value, flags); err != nil {
		return err
	}
	defer bf.exit()
	return bf.Push(value, flags)
}

func (bf *bloomFilter) Delete(key []byte) error {
	if err := bf.beginDelete(key); err != nil {
		return err
	}
	bf.exit()
	return syscall.EOPNOTSUPP
}

func (bf *bloomFilter) NextKey(key, nextOut []byte) error {
	if err := bf.beginNextKey(key, nextOut); err != nil {
		return err
	}
	bf.exit()
	return syscall.EOPNOTSUPP
}
