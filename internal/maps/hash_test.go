package maps

import (
	"bytes"
	"syscall"
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

func inRegions(m Map, addr, n uint64) bool {
	for _, r := range m.Regions() {
		if addr >= r.Start && addr+n <= r.End {
			return true
		}
	}
	return false
}

func TestHashSemantics(t *testing.T) {
	for _, flags := range []uint32{0, FlagNoPrealloc} {
		m := mustNew(t, Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 3, Flags: flags, NumCPU: 4})
		out := make([]byte, 8)
		steps := []struct {
			what  string
			err   error
			errno syscall.Errno
		}{
			{"lookup missing", m.Lookup(u32(1), out), syscall.ENOENT},
			{"update exist missing", m.Update(u32(1), u64(10), UpdateExist), syscall.ENOENT},
			{"update noexist", m.Update(u32(1), u64(10), UpdateNoExist), 0},
			{"update noexist again", m.Update(u32(1), u64(11), UpdateNoExist), syscall.EEXIST},
			{"update exist", m.Update(u32(1), u64(12), UpdateExist), 0},
			{"update bad flags", m.Update(u32(1), u64(12), 3), syscall.EINVAL},
			{"update lock without lock", m.Update(u32(1), u64(12), UpdateLock), syscall.EINVAL},
			{"fill 2", m.Update(u32(2), u64(20), UpdateAny), 0},
			{"fill 3", m.Update(u32(3), u64(30), UpdateAny), 0},
			{"full", m.Update(u32(4), u64(40), UpdateAny), syscall.E2BIG},
			{"full, replace", m.Update(u32(3), u64(31), UpdateAny), 0},
			{"full, replace exist", m.Update(u32(3), u64(32), UpdateExist), 0},
			{"delete", m.Delete(u32(2)), 0},
			{"delete again", m.Delete(u32(2)), syscall.ENOENT},
			{"room again", m.Update(u32(4), u64(40), UpdateAny), 0},
			{"short key", m.Lookup([]byte{1}, out), syscall.EINVAL},
			{"short value", m.Update(u32(9), []byte{1}, 0), syscall.EINVAL},
			{"lookup bad flags", m.LookupWithFlags(u32(1), out, 2), syscall.EINVAL},
			{"lookup and delete lock", m.LookupAndDeleteWithFlags(u32(1), out, UpdateLock), syscall.EINVAL},
		}
		for _, s := range steps {
			wantErrno(t, s.what, s.err, s.errno)
		}
		if err := m.Lookup(u32(1), out); err != nil || getU64(out) != 12 {
			t.Errorf("lookup 1: %v %d", err, getU64(out))
		}
		if err := m.LookupAndDelete(u32(3), out); err != nil || getU64(out) != 32 {
			t.Errorf("lookup and delete 3: %v %d", err, getU64(out))
		}
		wantErrno(t, "lookup deleted", m.Lookup(u32(3), out), syscall.ENOENT)
		if n := m.(*htab).Len(); n != 2 {
			t.Errorf("Len = %d, want 2", n)
		}
		got := map[uint32]bool{}
		var k []byte
		for {
			next := make([]byte, 4)
			err := m.NextKey(k, next)
			if errnoOf(err) == syscall.ENOENT {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got[ne.Uint32(next)] = true
			k = next
		}
		if len(got) != 2 || !got[1] || !got[4] {
			t.Errorf("NextKey walk = %v, want {1, 4}", got)
		}
		// A key that is not in the map restarts the walk.
		first := make([]byte, 4)
		if err := m.NextKey(u32(77), first); err != nil || !got[ne.Uint32(first)] {
			t.Errorf("NextKey(missing) = %v %v", first, err)
		}
	}
}

func TestHashProgramSide(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeHash, KeySize: 8, ValueSize: 12, MaxEntries: 16})
	if a := m.LookupAddr(u64(5), 0); a != 0 {
		t.Fatalf("LookupAddr of a missing key = %#x", a)
	}
	if err := m.UpdateElem(u64(5), []byte("hello world!"), UpdateNoExist, 3); err != nil {
		t.Fatal(err)
	}
	a := m.LookupAddr(u64(5), 0)
	if a == 0 || a%8 != 0 || !inRegions(m, a, 12) {
		t.Fatalf("LookupAddr = %#x, regions %v", a, m.Regions())
	}
	if got := string(mem.Slice(a, 12)); got != "hello world!" {
		t.Errorf("value at the address = %q", got)
	}
	// Programs write in place; the Go side sees it.
	copy(mem.Slice(a, 5), "HELLO")
	out := make([]byte, 12)
	if err := m.Lookup(u64(5), out); err != nil || string(out) != "HELLO world!" {
		t.Errorf("Lookup after an in-place write = %q %v", out, err)
	}
	// An update replaces the element (the kernel links a new one): the old
	// address still points to mapped memory with the old value.
	if err := m.UpdateElem(u64(5), []byte("second value"), UpdateAny, 0); err != nil {
		t.Fatal(err)
	}
	b := m.LookupAddr(u64(5), 0)
	if b == a || string(mem.Slice(b, 12)) != "second value" || string(mem.Slice(a, 12)) != "HELLO world!" {
		t.Errorf("replacement: old %#x %q, new %#x %q", a, mem.Slice(a, 12), b, mem.Slice(b, 12))
	}
	wantErrno(t, "DeleteElem", m.DeleteElem(u64(5)), 0)
	wantErrno(t, "DeleteElem again", m.DeleteElem(u64(5)), syscall.ENOENT)
	if m.LookupAddr(u64(5), 0) != 0 {
		t.Error("deleted key still found")
	}
	wantErrno(t, "UpdateElem bad flags", m.UpdateElem(u64(5), make([]byte, 12), 7, 0), syscall.EINVAL)
}

func TestHashReadOnlyProg(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: FlagRdonlyProg})
	if err := m.Update(u32(1), u64(1), 0); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "UpdateElem", m.UpdateElem(u32(1), u64(2), 0, 0), syscall.EPERM)
	wantErrno(t, "DeleteElem", m.DeleteElem(u32(1)), syscall.EPERM)
	for _, r := range m.Regions() {
		if r.Writable {
			t.Errorf("region %v is writable", r)
		}
	}
}

func TestHashSyscallPermissions(t *testing.T) {
	ro := mustNew(t, Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: FlagRdonly})
	wantErrno(t, "update rdonly", ro.Update(u32(1), u64(1), 0), syscall.EPERM)
	wantErrno(t, "delete rdonly", ro.Delete(u32(1)), syscall.EPERM)
	wantErrno(t, "lookup rdonly", ro.Lookup(u32(1), make([]byte, 8)), syscall.ENOENT)
	if err := ro.UpdateElem(u32(1), u64(1), 0, 0); err != nil {
		t.Errorf("programs may write a BPF_F_RDONLY map: %v", err)
	}
	wo := mustNew(t, Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 4, Flags: FlagWronly})
	wantErrno(t, "update wronly", wo.Update(u32(1), u64(1), 0), 0)
	wantErrno(t, "lookup wronly", wo.Lookup(u32(1), make([]byte, 8)), syscall.EPERM)
	wantErrno(t, "next key wronly", wo.NextKey(nil, make([]byte, 4)), syscall.EPERM)
	wantErrno(t, "lookup and delete wronly", wo.LookupAndDelete(u32(1), make([]byte, 8)), syscall.EPERM)
	wantErrno(t, "freeze", wo.Freeze(), 0)
	wantErrno(t, "update frozen", wo.Update(u32(1), u64(1), 0), syscall.EPERM)
	if err := wo.UpdateElem(u32(2), u64(1), 0, 0); err != nil {
		t.Errorf("programs may write a frozen map: %v", err)
	}
}

func TestHashSpinLock(t *testing.T) {
	// struct { u64 a; bpf_spin_lock l; u32 b; }
	m := mustNew(t, Spec{Type: TypeHash, KeySize: 4, ValueSize: 16, MaxEntries: 4, HasLock: true, LockOffset: 8})
	v := bytes.Repeat([]byte{0xaa}, 16)
	if err := m.Update(u32(1), v, UpdateAny); err != nil {
		t.Fatal(err)
	}
	a := m.LookupAddr(u32(1), 0)
	lock := mem.Slice(a+8, 4)
	if !bytes.Equal(lock, make([]byte, 4)) {
		t.Errorf("update copied over the lock: % x", mem.Slice(a, 16))
	}
	// BPF_F_LOCK update in place takes the lock; hold it and see that the
	// update waits.
	SpinLock(a + 8)
	done := make(chan error)
	go func() { done <- m.Update(u32(1), bytes.Repeat([]byte{0xbb}, 16), UpdateLock) }()
	select {
	case err := <-done:
		t.Fatalf("BPF_F_LOCK update did not wait for the lock: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	SpinUnlock(a + 8)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if m.LookupAddr(u32(1), 0) != a {
		t.Error("BPF_F_LOCK update did not update in place")
	}
	out := make([]byte, 16)
	if err := m.LookupWithFlags(u32(1), out, UpdateLock); err != nil {
		t.Fatal(err)
	}
	want := append(append(bytes.Repeat([]byte{0xbb}, 8), 0, 0, 0, 0), 0xbb, 0xbb, 0xbb, 0xbb)
	if !bytes.Equal(out, want) {
		t.Errorf("locked lookup = % x, want % x (lock zeroed)", out, want)
	}
	// The lock field of the output is zeroed even while the lock is held.
	SpinLock(a + 8)
	if err := m.Lookup(u32(1), out); err != nil || !bytes.Equal(out, want) {
		t.Errorf("lookup = % x %v", out, err)
	}
	SpinUnlock(a + 8)
	wantErrno(t, "BPF_F_LOCK noexist on an existing key", m.Update(u32(1), out, UpdateLock|UpdateNoExist), syscall.EEXIST)
	wantErrno(t, "BPF_F_LOCK exist on a missing key", m.Update(u32(2), out, UpdateLock|UpdateExist), syscall.ENOENT)
	wantErrno(t, "BPF_F_LOCK new key", m.Update(u32(2), out, UpdateLock), 0)
	wantErrno(t, "freeze with a lock", m.Freeze(), ENOTSUPP)
}

func TestPerCPUHash(t *testing.T) {
	const ncpu = 3
	m := mustNew(t, Spec{Type: TypePerCPUHash, KeySize: 4, ValueSize: 4, MaxEntries: 4, NumCPU: ncpu})
	// A program on CPU 1 creates the element: the other CPUs' slots are 0.
	if err := m.UpdateElem(u32(7), []byte{1, 2, 3, 4}, UpdateAny, 1); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 8*ncpu)
	if err := m.Lookup(u32(7), out); err != nil {
		t.Fatal(err)
	}
	want := []byte{0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if !bytes.Equal(out, want) {
		t.Errorf("per-CPU value = % x, want % x", out, want)
	}
	// A program updates only its CPU's slot.
	if err := m.UpdateElem(u32(7), []byte{9, 9, 9, 9}, UpdateExist, 2); err != nil {
		t.Fatal(err)
	}
	addrs := map[uint64]bool{}
	for cpu := range ncpu {
		a := m.LookupAddr(u32(7), cpu)
		if a == 0 || !inRegions(m, a, 4) || addrs[a] {
			t.Fatalf("LookupAddr cpu %d = %#x", cpu, a)
		}
		addrs[a] = true
	}
	if got := mem.Slice(m.LookupAddr(u32(7), 2), 4); !bytes.Equal(got, []byte{9, 9, 9, 9}) {
		t.Errorf("CPU 2 slot = % x", got)
	}
	if m.LookupAddr(u32(7), ncpu) != 0 || m.LookupAddr(u32(7), -1) != 0 {
		t.Error("LookupAddr with a CPU out of range found something")
	}
	// The Go side writes every slot, 8-byte rounded.
	all := make([]byte, 8*ncpu)
	for i := range all {
		all[i] = byte(i)
	}
	if err := m.Update(u32(7), all, UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Lookup(u32(7), out); err != nil || !bytes.Equal(out, all) {
		t.Errorf("round trip = % x %v", out, err)
	}
	wantErrno(t, "short per-CPU value", m.Update(u32(7), make([]byte, 4), 0), syscall.EINVAL)
	wantErrno(t, "per-CPU lock flag", m.Update(u32(7), all, UpdateLock), syscall.EINVAL)
	wantErrno(t, "UpdateElem on a CPU out of range", m.UpdateElem(u32(7), all, 0, ncpu), syscall.EINVAL)
}

func TestLRUEviction(t *testing.T) {
	for _, typ := range []Type{TypeLRUHash, TypeLRUPerCPUHash} {
		t.Run(typ.String(), func(t *testing.T) {
			const max = 64
			m := mustNew(t, Spec{Type: typ, KeySize: 4, ValueSize: 8, MaxEntries: max, NumCPU: 2})
			vs := m.(*htab).sysValueSize()
			val := make([]byte, vs)
			for i := range uint32(max) {
				if err := m.Update(u32(i), val, UpdateNoExist); err != nil {
					t.Fatal(err)
				}
			}
			// Programs use the first half: those keys are hot.
			for i := range uint32(max / 2) {
				if m.LookupAddr(u32(i), 0) == 0 {
					t.Fatalf("key %d missing", i)
				}
			}
			// A full LRU map evicts instead of failing.
			for i := uint32(1000); i < 1000+max/2; i++ {
				if err := m.UpdateElem(u32(i), val, UpdateAny, 0); err != nil {
					t.Fatalf("update %d of a full LRU map: %v", i, err)
				}
			}
			if n := m.(*htab).Len(); n != max {
				t.Errorf("Len = %d, want %d", n, max)
			}
			for i := range uint32(max / 2) {
				if m.LookupAddr(u32(i), 0) == 0 {
					t.Errorf("hot key %d was evicted", i)
				}
			}
			for i := uint32(1000); i < 1000+max/2; i++ {
				if m.LookupAddr(u32(i), 0) == 0 {
					t.Errorf("new key %d missing", i)
				}
			}
			// BPF_EXIST on a missing key fails. As in the kernel, the LRU
			// hash map takes (evicts) an element before it checks the
			// flags, and frees it; the per-CPU one does not for BPF_EXIST.
			wantErrno(t, "exist", m.Update(u32(5000), val, UpdateExist), syscall.ENOENT)
			want := max - 1
			if typ == TypeLRUPerCPUHash {
				want = max
			}
			if n := m.(*htab).Len(); n != want {
				t.Errorf("Len = %d, want %d", n, want)
			}
		})
	}
}

func TestHashOfMaps(t *testing.T) {
	tmpl := &Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 2}
	outer := mustNew(t, Spec{Type: TypeHashOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 4, InnerMap: tmpl}).(MapOfMaps)
	inner, err := New(tmpl)
	if err != nil {
		t.Fatal(err)
	}
	if err := outer.SetInner(u32(1), inner); err != nil {
		t.Fatal(err)
	}
	if h := outer.LookupAddr(u32(1), 0); h != inner.Handle() {
		t.Errorf("LookupAddr = %#x, want the inner handle %#x", h, inner.Handle())
	}
	if outer.Regions() != nil {
		t.Errorf("a map of maps has regions: %v", outer.Regions())
	}
	out := make([]byte, 4)
	if err := outer.Lookup(u32(1), out); err != nil || ne.Uint32(out) != inner.ID() {
		t.Errorf("Lookup = %d %v, want ID %d", ne.Uint32(out), err, inner.ID())
	}
	// The outer map keeps the inner map alive after its creator closes it.
	inner.Close()
	if m, ok := FromHandle(inner.Handle()); !ok || m != inner {
		t.Fatal("inner map freed while in a map of maps")
	}
	if got, ok := outer.Inner(u32(1)); !ok || got != inner {
		t.Error("Inner")
	}
	// A closed map cannot be stored again, a mismatching one neither.
	wantErrno(t, "closed inner", outer.SetInner(u32(2), inner), syscall.EBADF)
	other := mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 3})
	wantErrno(t, "max_entries differ", outer.SetInner(u32(2), other), syscall.EINVAL)
	hash := mustNew(t, Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 2})
	wantErrno(t, "type differs", outer.SetInner(u32(2), hash), syscall.EINVAL)
	// Update takes an ID.
	same := mustNew(t, *tmpl)
	wantErrno(t, "update by ID", outer.Update(u32(2), u32(same.ID()), UpdateNoExist), 0)
	wantErrno(t, "update by ID, noexist", outer.Update(u32(2), u32(same.ID()), UpdateNoExist), syscall.EEXIST)
	wantErrno(t, "update by bad ID", outer.Update(u32(3), u32(0), UpdateAny), syscall.EBADF)
	wantErrno(t, "lookup and delete", outer.LookupAndDelete(u32(2), out), ENOTSUPP)
	wantErrno(t, "program update", outer.UpdateElem(u32(2), u32(1), 0, 0), syscall.EINVAL)
	// Deleting drops the last reference: the inner map is freed.
	if err := outer.Delete(u32(1)); err != nil {
		t.Fatal(err)
	}
	if _, ok := FromHandle(inner.Handle()); ok {
		t.Error("inner map still alive after its last reference went")
	}
	// Closing the outer map releases what it holds.
	same.Close()
	outer.Close()
	if _, ok := FromHandle(same.Handle()); ok {
		t.Error("inner map still alive after the outer map was closed")
	}
}

func TestRetainRelease(t *testing.T) {
	m, err := New(&Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Retain(); err != nil {
		t.Fatal(err)
	}
	a := m.LookupAddr(u32(0), 0)
	m.Close()
	m.Close() // a second Close does nothing
	wantErrno(t, "lookup after Close", m.Lookup(u32(0), make([]byte, 8)), syscall.EBADF)
	// The program's reference keeps the memory and the handle.
	mem.Store64(a, 42)
	if _, ok := FromHandle(m.Handle()); !ok {
		t.Error("retained map does not resolve")
	}
	m.Release()
	if _, ok := FromHandle(m.Handle()); ok {
		t.Error("released map still resolves")
	}
	wantErrno(t, "retain after free", m.Retain(), syscall.EBADF)
}
