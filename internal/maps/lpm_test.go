package maps

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"syscall"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

func lpmKey(prefix string) []byte {
	p := netip.MustParsePrefix(prefix)
	k := u32(uint32(p.Bits()))
	return append(k, p.Addr().AsSlice()...)
}

func lpmKeyString(k []byte) string {
	a, _ := netip.AddrFromSlice(k[4:])
	return fmt.Sprintf("%s/%d", a, ne.Uint32(k))
}

func TestLPMKernelExample(t *testing.T) {
	// The example at the top of the kernel's lpm_trie.c.
	m := mustNew(t, Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 10, Flags: FlagNoPrealloc})
	for i, p := range []string{"192.168.0.0/16", "192.168.0.0/24", "192.168.128.0/24", "192.168.1.0/24"} {
		if err := m.Update(lpmKey(p), u64(uint64(i+1)), UpdateNoExist); err != nil {
			t.Fatal(err)
		}
	}
	for addr, want := range map[string]uint64{
		"192.168.0.1/32": 2, "192.168.1.77/32": 4, "192.168.128.9/32": 3, "192.168.2.1/32": 1,
		"192.168.200.1/32": 1, "192.169.0.0/32": 0, "10.0.0.1/32": 0, "192.168.1.0/23": 1,
		"192.168.0.0/16": 1, "192.168.0.0/15": 0, "0.0.0.0/0": 0,
	} {
		var got uint64
		if a := m.LookupAddr(lpmKey(addr), 0); a != 0 {
			if !inRegions(m, a, 8) {
				t.Errorf("%s: address %#x outside the regions", addr, a)
			}
			got = mem.Load64(a)
		}
		if got != want {
			t.Errorf("lookup %s = %d, want %d", addr, got, want)
		}
		out := make([]byte, 8)
		err := m.Lookup(lpmKey(addr), out)
		if want == 0 {
			wantErrno(t, "Lookup "+addr, err, syscall.ENOENT)
		} else if err != nil || getU64(out) != want {
			t.Errorf("Lookup %s = %d %v", addr, getU64(out), err)
		}
	}
	// Post-order: more specific prefixes first.
	var order []string
	var k []byte
	for {
		next := make([]byte, 8)
		if err := m.NextKey(k, next); err != nil {
			wantErrno(t, "end of walk", err, syscall.ENOENT)
			break
		}
		order = append(order, lpmKeyString(next))
		k = next
	}
	want := []string{"192.168.0.0/24", "192.168.1.0/24", "192.168.128.0/24", "192.168.0.0/16"}
	if fmt.Sprint(order) != fmt.Sprint(want) {
		t.Errorf("NextKey order %v, want %v", order, want)
	}
	next := make([]byte, 8)
	if err := m.NextKey(lpmKey("10.0.0.0/8"), next); err != nil || lpmKeyString(next) != want[0] {
		t.Errorf("NextKey of a missing key = %s %v, want the first key", lpmKeyString(next), err)
	}
	// Errors.
	bad := u32(33)
	bad = append(bad, 1, 2, 3, 4)
	wantErrno(t, "update prefix too long", m.Update(bad, u64(1), 0), syscall.EINVAL)
	wantErrno(t, "delete prefix too long", m.Delete(bad), syscall.EINVAL)
	wantErrno(t, "update noexist", m.Update(lpmKey("192.168.0.0/16"), u64(1), UpdateNoExist), syscall.EEXIST)
	wantErrno(t, "update exist missing", m.Update(lpmKey("10.0.0.0/8"), u64(1), UpdateExist), syscall.ENOENT)
	wantErrno(t, "update bad flags", m.Update(lpmKey("10.0.0.0/8"), u64(1), UpdateLock), syscall.EINVAL)
	wantErrno(t, "delete missing", m.Delete(lpmKey("192.168.0.0/17")), syscall.ENOENT)
	wantErrno(t, "delete intermediate", m.Delete(lpmKey("192.168.0.0/23")), syscall.ENOENT)
	wantErrno(t, "lookup and delete", m.LookupAndDelete(lpmKey("192.168.0.0/16"), next), ENOTSUPP)
	wantErrno(t, "delete", m.Delete(lpmKey("192.168.0.0/16")), 0)
	if m.LookupAddr(lpmKey("192.168.2.1/32"), 0) != 0 {
		t.Error("deleted prefix still matches")
	}
}

func TestLPMFull(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeLPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 2, Flags: FlagNoPrealloc})
	wantErrno(t, "1", m.Update(lpmKey("10.0.0.0/8"), u32(1), 0), 0)
	wantErrno(t, "2", m.Update(lpmKey("11.0.0.0/8"), u32(2), 0), 0)
	wantErrno(t, "3", m.Update(lpmKey("12.0.0.0/8"), u32(3), 0), syscall.ENOSPC)
	wantErrno(t, "replace when full", m.Update(lpmKey("11.0.0.0/8"), u32(4), 0), 0)
	// Replacing many times reuses value slots.
	for i := range 100 {
		if err := m.UpdateElem(lpmKey("10.0.0.0/8"), u32(uint32(i)), 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := mem.Load32(m.LookupAddr(lpmKey("10.1.2.3/32"), 0)); got != 99 {
		t.Errorf("value %d, want 99", got)
	}
}

// TestLPMRandom checks lookups against a brute-force longest-prefix
// match, with random updates and deletes, for 4- and 16-byte data.
func TestLPMRandom(t *testing.T) {
	for _, dataSize := range []int{4, 16} {
		r := rand.New(rand.NewPCG(uint64(dataSize), 3))
		m := mustNew(t, Spec{Type: TypeLPMTrie, KeySize: uint32(4 + dataSize), ValueSize: 8, MaxEntries: 64, Flags: FlagNoPrealloc})
		model := map[string]uint64{} // prefix key (data masked) -> value
		bits := dataSize * 8
		randKey := func(plen int) []byte {
			k := u32(uint32(plen))
			d := make([]byte, dataSize)
			// Few distinct leading bytes, so that prefixes nest.
			for i := range d {
				d[i] = []byte{0, 0x80, 0xc0, 0xff, byte(r.Uint32())}[r.IntN(5)]
			}
			return append(k, d...)
		}
		masked := func(k []byte) string {
			plen := int(ne.Uint32(k))
			d := bytes.Clone(k[4:])
			for i := range d {
				switch {
				case (i+1)*8 <= plen:
				case i*8 >= plen:
					d[i] = 0
				default:
					d[i] &= byte(0xff << (8 - plen%8))
				}
			}
			return fmt.Sprintf("%d/%x", plen, d)
		}
		match := func(k []byte) (uint64, bool) {
			for plen := int(ne.Uint32(k)); plen >= 0; plen-- {
				q := bytes.Clone(k)
				ne.PutUint32(q, uint32(plen))
				if v, ok := model[masked(q)]; ok {
					return v, true
				}
			}
			return 0, false
		}
		for step := range 4000 {
			k := randKey(r.IntN(bits + 1))
			switch r.IntN(3) {
			case 0:
				v := uint64(step)
				err := m.Update(k, u64(v), UpdateAny)
				if _, ok := model[masked(k)]; !ok && len(model) == 64 {
					wantErrno(t, "full", err, syscall.ENOSPC)
				} else if err != nil {
					t.Fatalf("update %x: %v", k, err)
				} else {
					model[masked(k)] = v
				}
			case 1:
				err := m.Delete(k)
				if _, ok := model[masked(k)]; ok {
					if err != nil {
						t.Fatalf("delete %x: %v", k, err)
					}
					delete(model, masked(k))
				} else {
					wantErrno(t, "delete missing", err, syscall.ENOENT)
				}
			}
			q := randKey(bits)
			if r.IntN(4) == 0 {
				q = randKey(r.IntN(bits + 1))
			}
			want, ok := match(q)
			a := m.LookupAddr(q, 0)
			if ok != (a != 0) || ok && mem.Load64(a) != want {
				t.Fatalf("step %d: lookup %x = %#x, model %d %v", step, q, a, want, ok)
			}
		}
		// The walk visits every prefix once.
		seen := map[string]bool{}
		var k []byte
		for {
			next := make([]byte, 4+dataSize)
			if err := m.NextKey(k, next); err != nil {
				break
			}
			if seen[masked(next)] {
				t.Fatalf("walk visits %x twice", next)
			}
			seen[masked(next)] = true
			k = next
		}
		if len(seen) != len(model) {
			t.Errorf("walk found %d prefixes, want %d", len(seen), len(model))
		}
	}
}

func TestQueueStack(t *testing.T) {
	q := mustNew(t, Spec{Type: TypeQueue, ValueSize: 4, MaxEntries: 3}).(QueueMap)
	s := mustNew(t, Spec{Type: TypeStack, ValueSize: 4, MaxEntries: 3}).(QueueMap)
	out := make([]byte, 4)
	for _, m := range []QueueMap{q, s} {
		out = []byte{1, 2, 3, 4}
		wantErrno(t, "pop empty", m.Pop(out), syscall.ENOENT)
		if !bytes.Equal(out, make([]byte, 4)) {
			t.Error("pop of an empty map does not zero the value")
		}
		for i := range uint32(3) {
			wantErrno(t, "push", m.Push(u32(i+1), UpdateAny), 0)
		}
		wantErrno(t, "push full", m.Push(u32(4), UpdateAny), syscall.E2BIG)
		wantErrno(t, "push noexist", m.Push(u32(4), UpdateNoExist), syscall.EINVAL)
		wantErrno(t, "push bad flags", m.Push(u32(4), 3), syscall.EINVAL)
		wantErrno(t, "push exist (overwrite)", m.Push(u32(4), UpdateExist), 0)
		wantErrno(t, "update with a key", m.Update(u32(0), u32(5), 0), syscall.EINVAL)
		wantErrno(t, "delete", m.Delete(nil), syscall.EINVAL)
		wantErrno(t, "next key", m.NextKey(nil, nil), syscall.EINVAL)
		wantErrno(t, "lookup and delete with flags", m.LookupAndDeleteWithFlags(nil, out, UpdateLock), syscall.EINVAL)
		wantErrno(t, "program update", m.UpdateElem(nil, u32(1), 0, 0), syscall.EINVAL)
		if m.LookupAddr(nil, 0) != 0 {
			t.Error("LookupAddr on a queue")
		}
	}
	// The queue dropped 1 (the oldest) for 4: 2 3 4 in FIFO order.
	var got []uint32
	for q.Lookup(nil, out) == nil {
		if err := q.LookupAndDelete(nil, out); err != nil {
			t.Fatal(err)
		}
		got = append(got, ne.Uint32(out))
	}
	if fmt.Sprint(got) != "[2 3 4]" {
		t.Errorf("queue order %v", got)
	}
	// The stack dropped its oldest (bottom) value 1: 4 3 2 in LIFO order.
	got = nil
	for s.Peek(out) == nil {
		s.Pop(out)
		got = append(got, ne.Uint32(out))
	}
	if fmt.Sprint(got) != "[4 3 2]" {
		t.Errorf("stack order %v", got)
	}
}

func TestBloomFilter(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeBloomFilter, ValueSize: 8, MaxEntries: 100}).(QueueMap)
	if bf := m.(*bloomFilter); bf.nHash != 5 || bf.mask != 1023 {
		t.Errorf("nr_hash_funcs %d, %d bits; want the kernel's 5 and 1024", bf.nHash, bf.mask+1)
	}
	for i := range uint64(100) {
		if err := m.Update(nil, u64(i), UpdateAny); err != nil {
			t.Fatal(err)
		}
	}
	wantErrno(t, "push with flags", m.Push(u64(1), UpdateExist), syscall.EINVAL)
	falsePos := 0
	for i := range uint64(10000) {
		err := m.Peek(u64(i))
		if i < 100 && err != nil {
			t.Fatalf("false negative for %d: %v", i, err)
		}
		if i >= 100 && err == nil {
			falsePos++
		}
	}
	if falsePos > 500 {
		t.Errorf("%d false positives in 9900", falsePos)
	}
	v := u64(5)
	wantErrno(t, "lookup (test) present", m.Lookup(nil, v), 0)
	wantErrno(t, "pop", m.Pop(v), syscall.EOPNOTSUPP)
	wantErrno(t, "delete", m.Delete(nil), syscall.EOPNOTSUPP)
	wantErrno(t, "program delete", m.DeleteElem(nil), syscall.EOPNOTSUPP)
	wantErrno(t, "next key", m.NextKey(nil, nil), syscall.EOPNOTSUPP)
	wantErrno(t, "lookup and delete", m.LookupAndDelete(nil, v), ENOTSUPP)
}
