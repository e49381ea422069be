package helpers

import (
	"testing"
)

// Two machines have separate states: a lock held by one is not the
// other's.
func TestStatePerMachine(t *testing.T) {
	a, b := newVM(t), newVM(t)
	lock := helper(t, Standard(nil), "spin_lock")
	if _, err := a.call(lock, a.addr(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := b.call(lock, b.addr(0)); err != nil {
		t.Fatalf("a lock held in another machine: %v", err)
	}
	if _, ok := HeldLock(a.env()); !ok {
		t.Error("a's lock")
	}
	if err := EndRun(b.env()); err == nil {
		t.Error("b's EndRun found no lock")
	}
	if err := EndRun(a.env()); err == nil {
		t.Error("a's EndRun found no lock")
	}
}
