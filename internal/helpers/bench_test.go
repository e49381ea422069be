package helpers

import (
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/maps"
)

func BenchmarkSnprintf(b *testing.B) {
	v := newVM(b)
	f := v.put(1000, []byte("pid %d comm %s ip %pI4\x00"))
	s := v.put(1100, []byte("name\x00"))
	ip := v.put(1200, []byte{10, 0, 0, 1})
	data := v.u64s(1300, 1234, s, ip)
	for b.Loop() {
		v.call(snprintfHelper, v.addr(0), 64, f, data, 24)
	}
}

func BenchmarkMapLookup(b *testing.B) {
	v := newVM(b)
	m, err := maps.New(&maps.Spec{Type: maps.TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 16})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	m.Update(u32(1), u64(2), 0)
	k := v.put(0, u32(1))
	for b.Loop() {
		if a, _ := v.call(mapLookupElem, m.Handle(), k); a == 0 {
			b.Fatal("not found")
		}
	}
}

func BenchmarkSpinLockUnlock(b *testing.B) {
	v := newVM(b)
	hs := Standard(nil)
	lock, unlock := helper(b, hs, "spin_lock"), helper(b, hs, "spin_unlock")
	for b.Loop() {
		v.call(lock, v.addr(0))
		v.call(unlock, v.addr(0))
	}
}

func BenchmarkKtimeGetNS(b *testing.B) {
	v := newVM(b)
	fn := helper(b, Standard(nil), "ktime_get_ns")
	for b.Loop() {
		v.call(fn)
	}
}
