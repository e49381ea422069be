package maps

import (
	"bytes"
	"syscall"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

func TestArraySemantics(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 12, MaxEntries: 3})
	out := make([]byte, 12)
	v := []byte("abcdefghijkl")
	for _, s := range []struct {
		what  string
		err   error
		errno syscall.Errno
	}{
		{"lookup", m.Lookup(u32(2), out), 0},
		{"lookup out of range", m.Lookup(u32(3), out), syscall.ENOENT},
		{"update", m.Update(u32(1), v, UpdateAny), 0},
		{"update exist", m.Update(u32(1), v, UpdateExist), 0},
		{"update noexist", m.Update(u32(1), v, UpdateNoExist), syscall.EEXIST},
		{"update out of range", m.Update(u32(3), v, UpdateAny), syscall.E2BIG},
		{"update out of range, noexist", m.Update(u32(3), v, UpdateNoExist), syscall.E2BIG},
		{"update bad flags", m.Update(u32(1), v, 3), syscall.EINVAL},
		{"update lock without lock", m.Update(u32(1), v, UpdateLock), syscall.EINVAL},
		{"delete", m.Delete(u32(1)), syscall.EINVAL},
		{"program delete", m.DeleteElem(u32(1)), syscall.EINVAL},
		{"lookup and delete", m.LookupAndDelete(u32(1), out), ENOTSUPP},
		{"lookup and delete, bad flags", m.LookupAndDeleteWithFlags(u32(1), out, 2), syscall.EINVAL},
	} {
		wantErrno(t, s.what, s.err, s.errno)
	}
	if err := m.Lookup(u32(1), out); err != nil || !bytes.Equal(out, v) {
		t.Errorf("lookup = %q %v", out, err)
	}
	a0, a1 := m.LookupAddr(u32(0), 0), m.LookupAddr(u32(1), 0)
	if a1-a0 != 16 || !inRegions(m, a0, 48) || m.LookupAddr(u32(3), 0) != 0 {
		t.Errorf("addresses %#x %#x, regions %v", a0, a1, m.Regions())
	}
	if string(mem.Slice(a1, 12)) != "abcdefghijkl" {
		t.Error("value not at its address")
	}
	// NextKey: index order, 0 for a missing or out-of-range key.
	next := make([]byte, 4)
	for _, c := range []struct {
		key   []byte
		want  uint32
		errno syscall.Errno
	}{{nil, 0, 0}, {u32(0), 1, 0}, {u32(1), 2, 0}, {u32(2), 0, syscall.ENOENT}, {u32(3), 0, 0}, {u32(1 << 31), 0, 0}} {
		err := m.NextKey(c.key, next)
		wantErrno(t, "NextKey", err, c.errno)
		if err == nil && ne.Uint32(next) != c.want {
			t.Errorf("NextKey(%v) = %d, want %d", c.key, ne.Uint32(next), c.want)
		}
	}
}

func TestPerCPUArray(t *testing.T) {
	const ncpu = 4
	m := mustNew(t, Spec{Type: TypePerCPUArray, KeySize: 4, ValueSize: 4, MaxEntries: 2, NumCPU: ncpu})
	if err := m.UpdateElem(u32(1), []byte{1, 1, 1, 1}, UpdateAny, 2); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 8*ncpu)
	if err := m.Lookup(u32(1), out); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 8*ncpu)
	copy(want[16:], []byte{1, 1, 1, 1})
	if !bytes.Equal(out, want) {
		t.Errorf("per-CPU value = % x, want % x", out, want)
	}
	// Each CPU's values are together: the same element on two CPUs is
	// max_entries*8 bytes apart.
	if d := m.LookupAddr(u32(1), 1) - m.LookupAddr(u32(1), 0); d != 16 {
		t.Errorf("CPU stride %d, want 16", d)
	}
	l := m.(DirectArray).Layout()
	if l.Base+l.CPUStride*3+l.ElemSize*1 != m.LookupAddr(u32(1), 3) || l.MaxEntries != 2 || l.ElemSize != 8 {
		t.Errorf("layout %+v", l)
	}
	wantErrno(t, "noexist", m.Update(u32(0), want, UpdateNoExist), syscall.EEXIST)
	wantErrno(t, "lock", m.Update(u32(0), want, UpdateLock), syscall.EINVAL)
	wantErrno(t, "update", m.Update(u32(0), out, UpdateExist), 0)
	if m.LookupAddr(u32(0), ncpu) != 0 {
		t.Error("LookupAddr on a CPU out of range")
	}
	if m.(*arrayMap).Bytes() != nil {
		t.Error("Bytes on a per-CPU array")
	}
}

func TestArrayMmapable(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 4, MaxEntries: 5, Flags: FlagMmapable})
	b := m.(interface{ Bytes() []byte }).Bytes()
	if len(b) != mem.PageSize {
		t.Fatalf("Bytes has %d bytes, want a page", len(b))
	}
	// Go writes the live memory; programs and lookups see it.
	copy(b[8*3:], []byte{7, 7, 7, 7})
	if got := mem.Slice(m.LookupAddr(u32(3), 0), 4); !bytes.Equal(got, []byte{7, 7, 7, 7}) {
		t.Errorf("program sees % x", got)
	}
	if err := m.UpdateElem(u32(4), []byte{9, 9, 9, 9}, 0, 0); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b[32:36], []byte{9, 9, 9, 9}) {
		t.Errorf("Bytes sees % x", b[32:36])
	}
	plain := mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 4, MaxEntries: 5})
	if plain.(interface{ Bytes() []byte }).Bytes() != nil {
		t.Error("Bytes on an array without BPF_F_MMAPABLE")
	}
}

func TestArraySpinLock(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1, HasLock: true, LockOffset: 0})
	if err := m.Update(u32(0), []byte{1, 1, 1, 1, 2, 2, 2, 2}, UpdateLock); err != nil {
		t.Fatal(err)
	}
	if got := mem.Slice(m.LookupAddr(u32(0), 0), 8); !bytes.Equal(got, []byte{0, 0, 0, 0, 2, 2, 2, 2}) {
		t.Errorf("value % x: the lock was overwritten or the rest not copied", got)
	}
	out := make([]byte, 8)
	if err := m.UpdateElem(u32(0), []byte{5, 5, 5, 5, 6, 6, 6, 6}, UpdateLock, 0); err != nil {
		t.Fatal(err)
	}
	if err := m.LookupWithFlags(u32(0), out, UpdateLock); err != nil || !bytes.Equal(out, []byte{0, 0, 0, 0, 6, 6, 6, 6}) {
		t.Errorf("locked lookup % x %v", out, err)
	}
}

type testProg struct{ id uint32 }

func (p *testProg) ID() uint32 { return p.id }

func TestProgArray(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 4})
	pa := m.(ProgArray)
	var changes []uint32
	cancel := pa.Watch(func(i uint32, old, new any) { changes = append(changes, i) })
	p1, p2 := &testProg{11}, &testProg{22}
	if err := pa.SetProgram(1, p1); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "out of range", pa.SetProgram(4, p1), syscall.E2BIG)
	if pa.Program(1) != p1 || pa.Program(0) != nil || pa.Program(100) != nil {
		t.Error("Program")
	}
	out := make([]byte, 4)
	if err := pa.Lookup(u32(1), out); err != nil || ne.Uint32(out) != 11 {
		t.Errorf("Lookup = %d %v, want the program's ID", ne.Uint32(out), err)
	}
	wantErrno(t, "lookup empty", pa.Lookup(u32(0), out), syscall.ENOENT)
	wantErrno(t, "lookup out of range", pa.Lookup(u32(9), out), syscall.ENOENT)
	wantErrno(t, "update with an fd", pa.Update(u32(0), u32(3), UpdateAny), syscall.EBADF)
	wantErrno(t, "update with flags", pa.Update(u32(0), u32(3), UpdateNoExist), syscall.EINVAL)
	wantErrno(t, "update out of range", pa.Update(u32(7), u32(3), UpdateAny), syscall.E2BIG)
	wantErrno(t, "delete empty", pa.Delete(u32(0)), syscall.ENOENT)
	wantErrno(t, "delete out of range", pa.Delete(u32(4)), syscall.E2BIG)
	pa.SetProgram(2, p2)
	wantErrno(t, "delete", pa.Delete(u32(1)), 0)
	if pa.Program(1) != nil {
		t.Error("deleted program still there")
	}
	cancel()
	pa.SetProgram(3, p2)
	if len(changes) != 3 || changes[0] != 1 || changes[1] != 2 || changes[2] != 1 {
		t.Errorf("watched changes %v, want [1 2 1]", changes)
	}
	// Closing empties a prog array, even when something still holds it.
	m.Retain()
	m.Close()
	if pa.Program(2) != nil || pa.Program(3) != nil {
		t.Error("Close did not empty the prog array")
	}
	m.Release()
}

func TestArrayOfMaps(t *testing.T) {
	tmpl := &Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1, Flags: FlagInnerMap}
	outer := mustNew(t, Spec{Type: TypeArrayOfMaps, KeySize: 4, ValueSize: 4, MaxEntries: 2, InnerMap: tmpl}).(MapOfMaps)
	// BPF_F_INNER_MAP lets inner arrays differ in max_entries.
	inner := mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 100, Flags: FlagInnerMap})
	if err := outer.SetInner(u32(1), inner); err != nil {
		t.Fatal(err)
	}
	wantErrno(t, "out of range", outer.SetInner(u32(2), inner), syscall.E2BIG)
	noFlag := mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 100})
	wantErrno(t, "flags differ", outer.SetInner(u32(0), noFlag), syscall.EINVAL)
	if outer.LookupAddr(u32(1), 0) != inner.Handle() || outer.LookupAddr(u32(0), 0) != 0 || outer.LookupAddr(u32(2), 0) != 0 {
		t.Error("LookupAddr")
	}
	out := make([]byte, 4)
	wantErrno(t, "lookup empty", outer.Lookup(u32(0), out), syscall.ENOENT)
	if err := outer.Lookup(u32(1), out); err != nil || ne.Uint32(out) != inner.ID() {
		t.Errorf("Lookup = %d %v", ne.Uint32(out), err)
	}
	wantErrno(t, "update flags", outer.Update(u32(0), u32(inner.ID()), UpdateNoExist), syscall.EINVAL)
	wantErrno(t, "update by ID", outer.Update(u32(0), u32(inner.ID()), UpdateAny), 0)
	wantErrno(t, "delete", outer.Delete(u32(0)), 0)
	wantErrno(t, "delete empty", outer.Delete(u32(0)), syscall.ENOENT)
	wantErrno(t, "delete out of range", outer.Delete(u32(5)), syscall.E2BIG)
	if err := outer.SetInner(u32(1), nil); err != nil {
		t.Fatal(err)
	}
	if outer.LookupAddr(u32(1), 0) != 0 {
		t.Error("SetInner(nil) did not delete")
	}
}
