package maps

import (
	"encoding/binary"
	"math/bits"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// lpmTrie is BPF_MAP_TYPE_LPM_TRIE, the kernel's lpm_trie.c algorithm: a
// binary trie whose nodes hold a prefix (the data of struct
// bpf_lpm_trie_key_u8, big-endian bit order) and, unless they are
// intermediate nodes, a value. Keys are a host-order u32 prefix length
// followed by the data.
//
// Nodes are Go objects reached through atomic pointers, so lookups take no
// lock and the garbage collector plays the part of RCU: a node replaced or
// removed stays valid for lookups that still stand on it. Values live off
// the heap in max_entries+1 slots (one spare for a replacement); as in the
// kernel, an update replaces the node, and its value moves to a new slot.
// Updates and deletes take one lock and allocate nodes, as the kernel's do.
type lpmTrie struct {
	common
	root      atomic.Pointer[lpmNode]
	dataSize  int
	maxPrefix uint32
	vs        int
	stride    uint64
	buf       *mem.Buffer
	vals      unsafe.Pointer
	valsAddr  uint64

	mu        sync.Mutex
	nEntries  uint32
	freeSlots []uint32
	nextSlot  uint32
	nSlots    uint32
}

type lpmNode struct {
	child     [2]atomic.Pointer[lpmNode]
	hi        uint64 // the first 8 bytes of data, big-endian, zero-padded
	prefixlen uint32
	slot      uint32
	im        atomic.Bool // intermediate node: no value
	data      []byte
}

// head is the first 8 bytes of data as a big-endian number: the first 64
// bits of a prefix are compared (and, for IPv4, all of them) without
// touching the data slice.
func head(data []byte) uint64 {
	if len(data) >= 8 {
		return binary.BigEndian.Uint64(data)
	}
	var b [8]byte
	copy(b[:], data)
	return binary.BigEndian.Uint64(b[:])
}

func newNode(plen uint32, data []byte) *lpmNode {
	return &lpmNode{prefixlen: plen, data: data, hi: head(data)}
}

// match is lpmMatch(n.data, data, limit) with the key's head precomputed.
func (n *lpmNode) match(hi uint64, data []byte, limit uint32) uint32 {
	if x := n.hi ^ hi; x != 0 {
		return min(uint32(bits.LeadingZeros64(x)), limit)
	}
	if limit <= 64 || len(data) <= 8 {
		return min(limit, uint32(len(data))*8)
	}
	return 64 + lpmMatch(n.data[8:], data[8:], limit-64)
}

// bit is extractBit(data, index) with the key's head precomputed.
func bit(hi uint64, data []byte, index uint32) int {
	if index < 64 {
		return int(hi>>(63-index)) & 1
	}
	return extractBit(data, index)
}

func newLPM(s *Spec) (Map, error) {
	t := &lpmTrie{
		dataSize:  int(s.KeySize) - 4,
		maxPrefix: (s.KeySize - 4) * 8,
		vs:        int(s.ValueSize),
		stride:    uint64(roundUp8(s.ValueSize)),
		nSlots:    s.MaxEntries + 1,
	}
	if s.MaxEntries == 1<<32-1 {
		t.nSlots = s.MaxEntries
	}
	buf, err := allocBuffer(uint64(t.nSlots) * t.stride)
	if err != nil {
		return nil, err
	}
	t.buf, t.vals = buf, bufBase(buf)
	t.valsAddr = addrOf(t.vals)
	if err := t.init(t, s); err != nil {
		buf.Free()
		return nil, err
	}
	t.regions = t.valueRegion(t.valsAddr, uint64(t.nSlots)*t.stride)
	t.destroy = func() { t.buf.Free() }
	return t, nil
}

func (t *lpmTrie) val(slot uint32) []byte {
	return bytesAt(unsafe.Add(t.vals, uint64(slot)*t.stride), uintptr(t.vs))
}

// allocSlot and freeSlot manage value slots; t.mu is held.
func (t *lpmTrie) allocSlot() uint32 {
	if n := len(t.freeSlots); n > 0 {
		s := t.freeSlots[n-1]
		t.freeSlots = t.freeSlots[:n-1]
		return s
	}
	s := t.nextSlot
	t.nextSlot++
	return s
}

func (t *lpmTrie) freeSlot(s uint32) { t.freeSlots = append(t.freeSlots, s) }

func extractBit(data []byte, index uint32) int {
	return int(data[index/8]>>(7-index%8)) & 1
}

// lpmMatch is the number of leading bits a and b share, at most limit.
func lpmMatch(a, b []byte, limit uint32) uint32 {
	var n uint32
	i := 0
	for n < limit && i+8 <= len(a) {
		if x := binary.BigEndian.Uint64(a[i:]) ^ binary.BigEndian.Uint64(b[i:]); x != 0 {
			return min(n+uint32(bits.LeadingZeros64(x)), limit)
		}
		n += 64
		i += 8
	}
	for n < limit && i < len(a) {
		if x := a[i] ^ b[i]; x != 0 {
			return min(n+uint32(bits.LeadingZeros8(x)), limit)
		}
		n += 8
		i++
	}
	return min(n, limit)
}

// lookup is trie_lookup_elem: the longest prefix that matches key.
func (t *lpmTrie) lookup(plen uint32, data []byte) *lpmNode {
	if plen > t.maxPrefix {
		return nil
	}
	var found *lpmNode
	hi := head(data)
	for node := t.root.Load(); node != nil; {
		m := node.match(hi, data, min(node.prefixlen, plen))
		if m == t.maxPrefix {
			return node
		}
		if m < node.prefixlen {
			break
		}
		if !node.im.Load() {
			found = node
		}
		node = node.child[bit(hi, data, node.prefixlen)].Load()
	}
	return found
}

func (t *lpmTrie) checkAdd(flags uint64) error {
	if flags == UpdateExist {
		return syscall.ENOENT
	}
	if t.nEntries == t.spec.MaxEntries {
		return syscall.ENOSPC
	}
	t.nEntries++
	return nil
}

// update is trie_update_elem.
func (t *lpmTrie) update(key, value []byte, flags uint64) error {
	if flags > UpdateExist {
		return syscall.EINVAL
	}
	plen := ne.Uint32(key)
	if plen > t.maxPrefix {
		return syscall.EINVAL
	}
	data := key[4 : 4+t.dataSize]
	nn := newNode(plen, append([]byte(nil), data...))
	t.mu.Lock()
	defer t.mu.Unlock()
	setValue := func() {
		nn.slot = t.allocSlot()
		copy(t.val(nn.slot), value)
	}

	slot := &t.root
	var node *lpmNode
	var m uint32
	for node = slot.Load(); node != nil; node = slot.Load() {
		m = lpmMatch(node.data, data, min(node.prefixlen, plen))
		if node.prefixlen != m || node.prefixlen == plen {
			break
		}
		slot = &node.child[extractBit(data, node.prefixlen)]
	}
	if node == nil {
		// An empty slot: the new node goes there.
		if err := t.checkAdd(flags); err != nil {
			return err
		}
		setValue()
		slot.Store(nn)
		return nil
	}
	if node.prefixlen == m {
		// The same prefix: replace the node.
		im := node.im.Load()
		if !im {
			if flags == UpdateNoExist {
				return syscall.EEXIST
			}
		} else if err := t.checkAdd(flags); err != nil {
			return err
		}
		setValue()
		nn.child[0].Store(node.child[0].Load())
		nn.child[1].Store(node.child[1].Load())
		slot.Store(nn)
		if !im {
			t.freeSlot(node.slot)
		}
		return nil
	}
	if err := t.checkAdd(flags); err != nil {
		return err
	}
	setValue()
	if m == plen {
		// The new node is an ancestor of node.
		nn.child[extractBit(node.data, m)].Store(node)
		slot.Store(nn)
		return nil
	}
	// They differ after m bits: an intermediate node parents both.
	im := newNode(m, node.data)
	im.im.Store(true)
	if extractBit(data, m) == 1 {
		im.child[0].Store(node)
		im.child[1].Store(nn)
	} else {
		im.child[0].Store(nn)
		im.child[1].Store(node)
	}
	slot.Store(im)
	return nil
}

// delete is trie_delete_elem: an exact match of prefix and length.
func (t *lpmTrie) delete(key []byte) error {
	plen := ne.Uint32(key)
	if plen > t.maxPrefix {
		return syscall.EINVAL
	}
	data := key[4 : 4+t.dataSize]
	t.mu.Lock()
	defer t.mu.Unlock()
	trim, trim2 := &t.root, &t.root
	var parent, node *lpmNode
	var m uint32
	for node = trim.Load(); node != nil; node = trim.Load() {
		m = lpmMatch(node.data, data, min(node.prefixlen, plen))
		if node.prefixlen != m || node.prefixlen == plen {
			break
		}
		parent, trim2 = node, trim
		trim = &node.child[extractBit(data, node.prefixlen)]
	}
	if node == nil || node.prefixlen != plen || node.prefixlen != m || node.im.Load() {
		return syscall.ENOENT
	}
	t.nEntries--
	t.freeSlot(node.slot)
	c0, c1 := node.child[0].Load(), node.child[1].Load()
	switch {
	case c0 != nil && c1 != nil:
		// Two children: the node stays, as an intermediate one.
		node.im.Store(true)
	case parent != nil && parent.im.Load() && c0 == nil && c1 == nil:
		// A leaf under an intermediate node: the sibling replaces the
		// parent, so that intermediate nodes always have two children.
		if parent.child[0].Load() == node {
			trim2.Store(parent.child[1].Load())
		} else {
			trim2.Store(parent.child[0].Load())
		}
	case c0 != nil:
		trim.Store(c0)
	case c1 != nil:
		trim.Store(c1)
	default:
		trim.Store(nil)
	}
	return nil
}

// nextKey is trie_get_next_key: post-order, so that more specific
// prefixes come before the prefixes that contain them.
func (t *lpmTrie) nextKey(key, nextOut []byte) error {
	root := t.root.Load()
	if root == nil {
		return syscall.ENOENT
	}
	searchRoot := root
	var next *lpmNode
	if key != nil && ne.Uint32(key) <= t.maxPrefix {
		plen := ne.Uint32(key)
		data := key[4 : 4+t.dataSize]
		stack := make([]*lpmNode, 0, 8)
		var node *lpmNode
		var m uint32
		for node = root; node != nil; {
			stack = append(stack, node)
			m = lpmMatch(node.data, data, min(node.prefixlen, plen))
			if node.prefixlen != m || node.prefixlen == plen {
				break
			}
			node = node.child[extractBit(data, node.prefixlen)].Load()
		}
		if node != nil && node.prefixlen == m && !node.im.Load() {
			// Found the key: its successor in post-order.
			node = stack[len(stack)-1]
			for i := len(stack) - 1; i > 0; i-- {
				parent := stack[i-1]
				if parent.child[0].Load() == node {
					if r := parent.child[1].Load(); r != nil {
						searchRoot = r
						goto leftmost
					}
				}
				if !parent.im.Load() {
					next = parent
					goto found
				}
				node = parent
			}
			return syscall.ENOENT
		}
	}
leftmost:
	for node := searchRoot; node != nil; {
		if node.im.Load() {
			node = node.child[0].Load()
			continue
		}
		next = node
		if node = node.child[0].Load(); node == nil {
			node = next.child[1].Load()
		}
	}
found:
	ne.PutUint32(nextOut, next.prefixlen)
	copy(nextOut[4:4+t.dataSize], next.data)
	return nil
}

func (t *lpmTrie) LookupAddr(key []byte, cpu int) uint64 {
	if len(key) < 4+t.dataSize {
		return 0
	}
	n := t.lookup(ne.Uint32(key), key[4:4+t.dataSize])
	if n == nil {
		return 0
	}
	return t.valsAddr + uint64(n.slot)*t.stride
}

// UpdateElem allocates (a trie node), as the kernel's does.
func (t *lpmTrie) UpdateElem(key, value []byte, flags uint64, cpu int) error {
	if t.spec.Flags&FlagRdonlyProg != 0 {
		return syscall.EPERM
	}
	if len(key) < 4+t.dataSize || len(value) < t.vs {
		return syscall.EINVAL
	}
	return t.update(key, value, flags)
}

func (t *lpmTrie) DeleteElem(key []byte) error {
	if t.spec.Flags&FlagRdonlyProg != 0 {
		return syscall.EPERM
	}
	if len(key) < 4+t.dataSize {
		return syscall.EINVAL
	}
	return t.delete(key)
}

func (t *lpmTrie) Lookup(key, valueOut []byte) error { return t.LookupWithFlags(key, valueOut, 0) }

// LookupWithFlags is a longest-prefix match, as BPF_MAP_LOOKUP_ELEM on a
// trie is.
func (t *lpmTrie) LookupWithFlags(key, valueOut []byte, flags uint64) error {
	if err := t.beginLookup(key, valueOut, flags); err != nil {
		return err
	}
	defer t.exit()
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.lookup(ne.Uint32(key), key[4:])
	if n == nil {
		return syscall.ENOENT
	}
	copy(valueOut, t.val(n.slot))
	return nil
}

func (t *lpmTrie) Update(key, value []byte, flags uint64) error {
	if err := t.beginUpdate(key, value, flags); err != nil {
		return err
	}
	defer t.exit()
	return t.update(key, value, flags)
}

func (t *lpmTrie) Delete(key []byte) error {
	if err := t.beginDelete(key); err != nil {
		return err
	}
	defer t.exit()
	return t.delete(key)
}

func (t *lpmTrie) NextKey(key, nextOut []byte) error {
	if err := t.beginNextKey(key, nextOut); err != nil {
		return err
	}
	defer t.exit()
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.nextKey(key, nextOut)
}
