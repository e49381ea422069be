package verifier

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/isa"
)

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
	insns, err := isa.Assemble(callbackNeverConverges)
	if err != nil {
		t.Fatal(err)
	}
	opts := &Options{Type: XDP(), GPL: true, FuncInfo: true, LogLevel: 1}
	opts.Budget.Insns = 20_000
	_, err = Verify(insns, opts)
	e, ok := err.(*Error)
	if !ok || !strings.Contains(e.Msg, "BPF program is too large") {
		t.Fatalf("got %v", err)
	}
	m := regexp.MustCompile(`max_states_per_insn (\d+)`).FindStringSubmatch(e.Log)
	if m == nil {
		t.Fatalf("no statistics in the log:\n%s", e.Log)
	}
	if n, _ := strconv.Atoi(m[1]); n > 70 || n == 0 {
		t.Fatalf("max_states_per_insn %d, want at most 70", n)
	}
}
