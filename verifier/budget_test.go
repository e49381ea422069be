package verifier

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm/isa"
)

// pathologicalLoop is a bounded loop whose every iteration the verifier
// walks (the counter is compared, so it is precise): about 300,000
// processed instructions and thousands of stored states.
const pathologicalLoop = `r1 = 0
r2 = 0
loop:
r1 += 1
r2 += 3
if r1 < 100000 goto loop
r0 = 0
exit`

// branchyProgram is n random two-way branches in a row, each adding 0 or
// 1 to a counter that then indexes the stack (so it is precise and states
// with different counts never prune each other), with 64 stack slots
// written: O(n²) stored states of about 7 KB each.
func branchyProgram(t *testing.T, n int) []isa.Instruction {
	var b strings.Builder
	b.WriteString("r6 = 0\nr1 = 0\n")
	for off := 8; off <= 512; off += 8 {
		fmt.Fprintf(&b, "*(u64 *)(r10 -%d) = r1\n", off)
	}
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "call bpf_get_prandom_u32\nif r0 == 0 goto l%d\nr6 += 1\nl%d:\n", i, i)
	}
	b.WriteString("r6 <<= 3\nr2 = r10\nr2 += -512\nr2 += r6\nr0 = *(u64 *)(r2 +0)\nr0 = 0\nexit")
	return mustAsm(t, b.String())
}

// TestBudget: each limit of Options.Budget refuses the pathological loop,
// with the kernel's message for instructions and a message naming the
// limit otherwise; without a budget the program verifies.
func TestBudget(t *testing.T) {
	loop := mustAsm(t, pathologicalLoop)
	branchy := branchyProgram(t, 40)
	for name, insns := range map[string][]isa.Instruction{"loop": loop, "branchy": branchy} {
		res, err := Verify(insns, &Options{Type: XDP()})
		if err != nil {
			t.Fatalf("%s without a budget: %v", name, err)
		}
		t.Logf("%s without a budget: %d insns processed, %d states (peak %d)", name, res.InsnsProcessed, res.States, res.PeakStates)
	}
	for _, tc := range []struct {
		name   string
		insns  []isa.Instruction
		budget Budget
		msg    string
	}{
		{"insns", loop, Budget{Insns: 1000}, "BPF program is too large. Processed 1001 insn"},
		{"states", branchy, Budget{States: 10}, "verifier budget exceeded: 11 states stored (Budget.States 10)"},
		{"memory", branchy, Budget{Memory: 64 << 10}, "bytes of verifier states (Budget.Memory 65536)"},
		{"time", loop, Budget{Time: time.Nanosecond}, "verifier budget exceeded: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			insns := tc.insns
			res, err := Verify(insns, &Options{Type: XDP(), Budget: tc.budget})
			var ve *Error
			if !errors.As(err, &ve) {
				t.Fatalf("want a *Error, got %v", err)
			}
			if !strings.Contains(ve.Msg, tc.msg) {
				t.Fatalf("message %q, want %q", ve.Msg, tc.msg)
			}
			if res.InsnsProcessed > 100_000 {
				t.Errorf("%d insns processed before the budget stopped it", res.InsnsProcessed)
			}
		})
	}
}

// TestBudgetMemoryBounded: under a memory budget, what the verifier holds
// in states stays near the budget however large the program's state space.
func TestBudgetMemoryBounded(t *testing.T) {
	insns := branchyProgram(t, 40)
	const limit = 256 << 10
	v := newVerifier(insns, &Options{Type: XDP(), Budget: Budget{Memory: limit}})
	if err := v.run(); err == nil {
		t.Fatal("accepted under a 256 KiB budget")
	}
	if v.mem > limit+16<<10 {
		t.Errorf("held about %d bytes of states, budget %d", v.mem, limit)
	}
}

// TestUnprivilegedLength: BPF_PROG_LOAD refuses programs longer than
// BPF_MAXINSNS (4096) from unprivileged loaders and up to 1,000,000 from
// privileged ones.
func TestUnprivilegedLength(t *testing.T) {
	prog := func(n int) []isa.Instruction {
		src := strings.Repeat("r0 = 0\n", n-1) + "exit"
		return mustAsm(t, src)
	}
	if _, err := Verify(prog(4096), &Options{Type: XDP(), Mode: Untrusted}); err != nil {
		t.Errorf("4096 insns, untrusted: %v", err)
	}
	_, err := Verify(prog(4097), &Options{Type: XDP(), Mode: Untrusted})
	if err == nil || !strings.Contains(err.Error(), "program too large (4097 insns): BPF_PROG_LOAD refuses more than 4096 (BPF_MAXINSNS) from unprivileged loaders (E2BIG)") {
		t.Errorf("4097 insns, untrusted: %v", err)
	}
	if _, err := Verify(prog(4097), &Options{Type: XDP()}); err != nil {
		t.Errorf("4097 insns, privileged: %v", err)
	}
}

// TestJumpSequenceLimit: more than BPF_COMPLEXITY_LIMIT_JMP_SEQ (8192)
// states queued at once is the kernel's "The sequence of 8193 jumps is too
// complex.".
func TestJumpSequenceLimit(t *testing.T) {
	insns := mustAsm(t, `r6 = 0
loop:
call bpf_get_prandom_u32
if r0 == 0 goto skip
r7 = 1
skip:
r6 += 1
if r6 < 20000 goto loop
r0 = 0
exit`)
	_, err := Verify(insns, &Options{Type: XDP()})
	if err == nil || !strings.Contains(err.Error(), "The sequence of 8193 jumps is too complex.") {
		t.Fatalf("got %v", err)
	}
}
