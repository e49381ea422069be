package helpers

import (
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/ebpfvm/ebpfvm/internal/interp"
	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// The state of a machine's runs goes with the machine.
func TestStateFollowsTheMachine(t *testing.T) {
	buf, err := mem.Alloc(64)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Free()
	lock, unlock := helper(t, Standard(nil), "spin_lock"), helper(t, Standard(nil), "spin_unlock")
	key := func() uintptr {
		m, err := interp.NewMachine()
		if err != nil {
			t.Fatal(err)
		}
		m.Reset()
		m.Regions.Add(mem.Region{Start: buf.Addr(), End: buf.Addr() + 64, Writable: true})
		if _, err := lock(&m.Env, buf.Addr(), 0, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := unlock(&m.Env, buf.Addr(), 0, 0, 0, 0); err != nil {
			t.Fatal(err)
		}
		if lookupState(&m.Env) == nil {
			t.Fatal("no state")
		}
		return uintptr(unsafe.Pointer(&m.Env))
	}()
	for i := 0; i < 50; i++ {
		runtime.GC()
		if _, ok := states.Load(key); !ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("the state of a collected machine is still in the table")
}

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
