package maps

import (
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// A program that was never verified may write over the word of a
// bpf_spin_lock; that must not block the lock's users.
func TestScribbledLockWord(t *testing.T) {
	m := mustNew(t, Spec{Type: TypeArray, KeySize: 4, ValueSize: 16, MaxEntries: 1, HasLock: true, LockOffset: 8})
	a := m.LookupAddr(u32(0), 0)
	mem.Store32(a+8, 0xffffffff) // garbage where the lock lives
	done := make(chan error, 1)
	go func() { done <- m.Update(u32(0), make([]byte, 16), UpdateLock) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("BPF_F_LOCK update blocked on a scribbled lock word")
	}
	if !SpinLockTimeout(a+8, time.Second) {
		t.Fatal("lock not free")
	}
	if mem.Load32(a+8) != 1 {
		t.Error("a held lock's word does not read 1")
	}
	if SpinLockTimeout(a+8, 50*time.Millisecond) {
		t.Error("took a held lock")
	}
	SpinUnlock(a + 8)
	if mem.Load32(a+8) != 0 {
		t.Error("a free lock's word does not read 0")
	}
}
