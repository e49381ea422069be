package helpers

import (
	"errors"
	"fmt"

	"github.com/ebpfvm/ebpfvm/internal/maps"
	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// runState is what the helpers keep for one Env between calls of a run:
// the bpf_spin_lock held, the ring buffer records reserved and not yet
// submitted, and scratch memory the program may read (the keys
// bpf_for_each_map_elem passes to its callback). It lives in
// Env.HelperState; run says which run of the Env (Env.RunID) it belongs to,
// so that whatever an earlier run left (if its runner did not call
// EndRun) is released at the first call of the next.
type runState struct {
	run     uint64
	scratch *mem.Buffer

	lock     uint64 // address of the bpf_spin_lock held; 0 if none
	depth    int    // bpf_for_each_map_elem calls in progress
	reserved []reservation
}

type reservation struct {
	addr uint64
	ring maps.RingBufMap
}

// scratchSlot is the room for one key in the scratch memory: the largest
// key a hash map has (MAX_BPF_STACK), and one slot per nested
// bpf_for_each_map_elem, which needs a frame each.
const (
	scratchSlot = 512
	scratchSize = scratchSlot * vm.MaxFrames
)

// lookupState returns the state of env's current run, or nil.
func lookupState(env *vm.Env) *runState {
	st, _ := env.HelperState.(*runState)
	if st == nil || st.run != env.RunID {
		return nil
	}
	return st
}

// begin returns env's state for the current run, creating it on first use
// and resetting it at the first call of each run. The scratch memory frees
// itself when the Env is collected (mem.Buffer has a cleanup).
func begin(env *vm.Env) (*runState, error) {
	st, _ := env.HelperState.(*runState)
	if st == nil {
		b, err := mem.Alloc(scratchSize)
		if err != nil {
			return nil, fmt.Errorf("allocating helper scratch memory: %w", err)
		}
		st = &runState{scratch: b, run: env.RunID - 1}
		env.HelperState = st
	}
	if st.run != env.RunID {
		st.release() // left over from an earlier run
		if err := env.GrantMemory(st.scratch.Addr(), []mem.Region{st.scratchRegion()}); err != nil {
			return nil, err
		}
		st.run = env.RunID
	}
	return st, nil
}

func (st *runState) scratchRegion() mem.Region {
	a := st.scratch.Addr()
	return mem.Region{Start: a, End: a + scratchSize, Kind: mem.KindHelperMemory}
}

// release gives back what a run left behind: the lock and the records.
// It reports what there was.
func (st *runState) release() (lock uint64, records int) {
	lock, records = st.lock, len(st.reserved)
	if st.lock != 0 {
		maps.SpinUnlock(st.lock)
		st.lock = 0
	}
	for _, r := range st.reserved {
		r.ring.Discard(r.addr, 0)
	}
	st.reserved = st.reserved[:0]
	st.depth = 0
	return lock, records
}

// Errors EndRun reports: states in which the kernel's verifier does not let
// a program exit.
var (
	ErrLockHeld         = errors.New("program exited holding a bpf_spin_lock")
	ErrRecordNotHandled = errors.New("program exited without submitting or discarding a ring buffer record")
)

// EndRun ends the run of env for the helpers: a bpf_spin_lock the program
// still holds is released, ring buffer records it reserved and neither
// submitted nor discarded are discarded. It returns an error naming what
// it found (wrapping ErrLockHeld or ErrRecordNotHandled), nil when the
// program left nothing. Runners call it after every run, whether the run
// succeeded or not; a program the kernel's verifier accepted never leaves
// anything.
func EndRun(env *vm.Env) error {
	st := lookupState(env)
	if st == nil {
		return nil
	}
	lock, records := st.release()
	// The scratch region stays granted until Reset; a later call in the
	// same run (there should be none) finds a clean state.
	switch {
	case lock != 0:
		return fmt.Errorf("%w (at %#x)", ErrLockHeld, lock)
	case records > 0:
		return fmt.Errorf("%w (%d records)", ErrRecordNotHandled, records)
	}
	return nil
}

// HeldLock reports whether the program running in env holds a
// bpf_spin_lock, and its address.
func HeldLock(env *vm.Env) (uint64, bool) {
	st := lookupState(env)
	if st == nil || st.lock == 0 {
		return 0, false
	}
	return st.lock, true
}

// lockWord checks the address of a struct bpf_spin_lock (a 4-byte word in
// a map value, aligned to 4).
func lockWord(env *vm.Env, helper string, addr uint64) (*uint32, error) {
	if _, err := env.Bytes(addr, 4, true); err != nil {
		return nil, err
	}
	if addr%4 != 0 {
		return nil, fmt.Errorf("%w: bpf_%s: lock at %#x", vm.ErrMisaligned, helper, addr)
	}
	return mem.Atomic32(addr), nil
}

// bpf_spin_lock(lock): spin until the word goes from 0 to 1. The kernel
// lets a program hold one lock at a time; taking a second one (or the same
// one twice, which would deadlock) fails the run.
func (s *set) spinLock(env *vm.Env, addr, _, _, _, _ uint64) (uint64, error) {
	if _, err := lockWord(env, "spin_lock", addr); err != nil {
		return 0, err
	}
	st, err := begin(env)
	if err != nil {
		return 0, err
	}
	if st.lock != 0 {
		return 0, argError("spin_lock", "the program already holds the lock at %#x (one lock at a time)", st.lock)
	}
	if !maps.SpinLockTimeout(addr, s.spinTimeout) {
		return 0, argError("spin_lock", "the lock at %#x is still held after %v", addr, s.spinTimeout)
	}
	st.lock = addr
	return 0, nil
}

// bpf_spin_unlock(lock): release the lock the program holds.
func spinUnlock(env *vm.Env, addr, _, _, _, _ uint64) (uint64, error) {
	if _, err := lockWord(env, "spin_unlock", addr); err != nil {
		return 0, err
	}
	held, ok := HeldLock(env)
	if !ok || held != addr {
		if ok {
			return 0, argError("spin_unlock", "the lock at %#x is not the one held (%#x)", addr, held)
		}
		return 0, argError("spin_unlock", "the lock at %#x is not held", addr)
	}
	lookupState(env).lock = 0
	maps.SpinUnlock(addr)
	return 0, nil
}
