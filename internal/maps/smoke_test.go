package maps

import "testing"

func TestSmoke(t *testing.T) {
	for _, s := range []Spec{
		{Type: TypeHash, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		{Type: TypeArray, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		{Type: TypeLPMTrie, KeySize: 8, ValueSize: 8, MaxEntries: 4, Flags: FlagNoPrealloc},
		{Type: TypeQueue, ValueSize: 8, MaxEntries: 4},
		{Type: TypeRingBuf, MaxEntries: 4096},
		{Type: TypeBloomFilter, ValueSize: 8, MaxEntries: 4},
	} {
		m, err := New(&s)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v handle %#x id %d regions %v", m.Spec(), m.Handle(), m.ID(), m.Regions())
		if m2, ok := FromHandle(m.Handle()); !ok || m2 != m {
			t.Fatal("FromHandle")
		}
		m.Close()
		if _, ok := FromHandle(m.Handle()); ok {
			t.Fatal("closed resolves")
		}
	}
}
