package verifier

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/isa"
)

// iterNeverConverges is an iterator loop (from FuzzPruning) whose w8
// grows by 4 per iteration and steers a branch: its states at the _next
// call never match, and Linux 6.18 too gives up after 1M instructions.
const iterNeverConverges = `
r6 = r1
*(u64 *)(r10 -8) = 0
*(u64 *)(r10 -16) = 0
*(u64 *)(r10 -24) = 0
*(u64 *)(r10 -32) = 0
*(u64 *)(r10 -40) = 0
*(u64 *)(r10 -48) = 0
*(u64 *)(r10 -56) = 0
*(u64 *)(r10 -64) = 0
r0 = 0
r4 = 0
r7 = 0
r8 = 0
r9 = 0
r1 = r10
r1 += -72
r2 = 0
r3 = 4
call bpf_iter_num_new#1
r1 = r10
r1 += -72
call bpf_iter_num_next#2
if r0 == 0x0 goto pc+23
r9 = *(u32 *)(r0 +0)
r0 = 0
r4 = 0
w0 &= 25
r4 = 247
*(u64 *)(r10 -24) = r4
w8 += 4
r4 = atomic64_xchg((u64 *)(r10 -16), r4)
r7 = 4
w4 += w8
if r8 <= 0xb7 goto pc+6
r0 = 34
if r0 == 0x3d goto pc+9
r2 = r10
r2 += -64
r2 += r0
r2 = *(u8 *)(r2 +0)
r0 = *(u64 *)(r10 -8)
r2 = r10
r2 += -64
r2 += r0
*(u8 *)(r2 +0) = 7
goto pc-27
r1 = r10
r1 += -72
call bpf_iter_num_destroy#3
r0 = 0
exit
`

// States stored at an iterator's _next call that do not match count as
// misses, so the list compared at each visit stays bounded (the kernel's
// skip_inf_loop_check path reaches its miss accounting): 65 states at
// most on 6.18 for this program, not one per iteration.
func TestIterNextStatesBounded(t *testing.T) {
	requireStatesBounded(t, iterNeverConverges, &Options{Type: Generic(64), Kfuncs: iterTestKfuncs, GPL: true})
}

// requireStatesBounded verifies src, a loop that never converges, under
// a 20,000-instruction budget and requires the kernel's "too large"
// refusal with at most 70 states stored at any instruction (the kernel
// keeps 65 at most on such loops), not one per iteration.
func requireStatesBounded(t *testing.T, src string, opts *Options) {
	t.Helper()
	insns, err := isa.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	opts.LogLevel = 1
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
		t.Fatalf("max_states_per_insn %d, want at most 70 (the kernel: 65)", n)
	}
}

var iterTestKfuncs = func() KfuncMap {
	n, next, destroy := IterNumKfuncs()
	return KfuncMap{1: n, 2: next, 3: destroy}
}()
