package verifier

import "testing"

// callbackNeverConverges is a bpf_loop whose callback adds 8 to a counter
// in the caller's stack and uses it, masked, as a stack offset: the
// counter is precise, so the states at the bpf_loop call never match and
// the verifier unrolls the callback until its instruction budget ends.
const callbackNeverConverges = `
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = 1000000
r2 = subprog[cb]
r3 = r10
r3 += -8
r4 = 0
call bpf_loop
r0 = 0
exit
cb:
r3 = *(u64 *)(r2 +0)
r3 += 8
*(u64 *)(r2 +0) = r3
r3 &= 56
r4 = r10
r4 += -64
r4 += r3
r5 = 0
*(u64 *)(r4 +0) = r5
r0 = 0
exit`

// TestCallbackStatesBounded: states at a callback helper's call that do
// not match count as misses, as the kernel's skip_inf_loop_check does,
// so the list of states stored there stays short instead of growing by
// one per unrolled iteration.
func TestCallbackStatesBounded(t *testing.T) {
	requireStatesBounded(t, callbackNeverConverges, &Options{Type: XDP(), GPL: true, FuncInfo: true})
}
