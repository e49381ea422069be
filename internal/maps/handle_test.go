package maps

import (
	"runtime/debug"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

func TestHandles(t *testing.T) {
	a := mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	b := mustNew(t, Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 1})
	ha, hb := a.Handle(), b.Handle()
	if ha == hb || ha%16 != 0 || hb%16 != 0 {
		t.Fatalf("handles %#x %#x", ha, hb)
	}
	for _, h := range []uint64{ha + 1, ha + 8, ha - 16*1e6, 0, 1 << 63} {
		if m, ok := FromHandle(h); ok && m != nil && h != m.Handle() {
			t.Errorf("FromHandle(%#x) = %v", h, m)
		}
	}
	if _, ok := FromHandle(ha + 8); ok {
		t.Error("an address inside a handle slot resolves")
	}
	if m, ok := FromID(b.ID()); !ok || m != b {
		t.Error("FromID")
	}
	if _, ok := FromID(0); ok {
		t.Error("FromID(0)")
	}
	// A handle is not readable memory: dereferencing it faults.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	func() {
		defer func() {
			if recover() == nil {
				t.Error("reading through a handle did not fault")
			}
		}()
		sink = mem.Load64(ha)
	}()
	// A handle never overlaps a value.
	for _, r := range a.Regions() {
		if ha >= r.Start && ha < r.End {
			t.Error("handle inside a value region")
		}
	}
}

func TestForEach(t *testing.T) {
	arr := mustNew(t, Spec{Type: TypePerCPUArray, KeySize: 4, ValueSize: 8, MaxEntries: 5, NumCPU: 2})
	var keys []uint32
	n := arr.(Iterable).ForEach(1, func(k []byte, v uint64) bool {
		keys = append(keys, ne.Uint32(k))
		if v != arr.LookupAddr(k, 1) {
			t.Errorf("value address of %d", ne.Uint32(k))
		}
		return len(keys) < 3
	})
	if n != 3 || len(keys) != 3 || keys[2] != 2 {
		t.Errorf("ForEach stopped after %d calls, keys %v", n, keys)
	}
	h := mustNew(t, Spec{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	for i := range uint32(10) {
		h.Update(u32(i), u64(uint64(i)), 0)
	}
	// The callback may delete the current element, as in the kernel.
	seen := map[uint32]bool{}
	n = h.(Iterable).ForEach(0, func(k []byte, v uint64) bool {
		seen[ne.Uint32(k)] = true
		if mem.Load64(v) != uint64(ne.Uint32(k)) {
			t.Errorf("value of %d", ne.Uint32(k))
		}
		if ne.Uint32(k)%2 == 0 {
			h.DeleteElem(k)
		}
		return true
	})
	if n != 10 || len(seen) != 10 || h.(*htab).Len() != 5 {
		t.Errorf("ForEach: %d calls, %d keys, %d left", n, len(seen), h.(*htab).Len())
	}
}

var sink uint64
