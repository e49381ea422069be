package interp_test

import (
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// TestCallbackCallsOut runs a helper (bpf_loop) whose callback itself calls
// a helper: the dispatch loop leaves and resumes for both calls, and the
// caller must resume after its own call, with its own registers, not where
// the callback's call left off.
func TestCallbackCallsOut(t *testing.T) {
	const src = `
	r6 = 7
	r1 = 3
	r2 = subprog[cb]
	r3 = 0
	r4 = 0
	call bpf_loop
	r0 += r6
	r0 += 100
	exit
cb:
	call bpf_get_prandom_u32
	r0 = 0
	exit`
	for _, verified := range []bool{true, false} {
		res, err := run(t, compile(t, src, verified, vm.Facts{}), vm.RunOptions{})
		// 3 loops, then r0 = 3 + 7 + 100; 9 instructions in the
		// caller, 3 in each callback.
		if err != nil || res.R0 != 110 || res.Steps != 9+3*3 {
			t.Errorf("verified %v: r0 = %d, steps %d, %v; want 110, 18, no error", verified, res.R0, res.Steps, err)
		}
	}
}
