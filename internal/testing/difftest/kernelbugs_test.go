package difftest

import (
	"encoding/binary"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/testing/kernel"
	"github.com/ebpfvm/ebpfvm/isa"
)

// kernelBugs are programs on which the kernel (6.18, x86-64 JIT) departs
// from the ISA, found by TestDifferential. progen works around each one so
// that the differential test compares only what the kernel gets right; these
// cases check that ebpfvm computes the ISA's result and tell whether the
// running kernel still has the bug.
var kernelBugs = []struct {
	name  string
	insns []isa.Instruction
	ctx   [2]uint64
	want  uint64 // r0 by the ISA
	why   string
}{
	{
		name: "cmpxchg32 zero-extension hidden by pruning",
		insns: []isa.Instruction{
			isa.LoadMem(isa.SizeDW, isa.R0, isa.R1, 8),
			isa.LoadMem(isa.SizeDW, isa.R3, isa.R1, 0),
			isa.StoreMem(isa.SizeDW, isa.R10, isa.R0, -8),
			isa.Atomic(isa.SizeW, isa.AtomicCmpXchg, isa.R10, isa.R3, -8), // succeeds
			isa.JumpImm(isa.JmpJSGE, isa.R3, -102, 2),
			isa.Atomic(isa.SizeW, isa.AtomicCmpXchg, isa.R10, isa.R3, -4),
			isa.Ja(0),
			isa.ALU64Imm(isa.ALURsh, isa.R0, 32),
			isa.Exit(),
		},
		ctx:  [2]uint64{0x28, 0xfffffffffffffffb},
		want: 0,
		why: "a 32-bit cmpxchg loads the old value zero-extended into r0; the x86-64 JIT's " +
			"lock cmpxchg leaves rax's upper half when the comparison succeeds, and the verifier " +
			"adds the explicit zero-extension only where it sees a 64-bit use of r0, which the " +
			"pruned path (from 4 to 7: safe) hides",
	},
	{
		name: "atomic fetch from a spilled scalar escapes precision tracking",
		insns: []isa.Instruction{
			isa.LoadMem(isa.SizeDW, isa.R4, isa.R1, 0),
			isa.LoadMem(isa.SizeDW, isa.R5, isa.R1, 8),
			isa.Mov64Imm(isa.R0, 0),
			isa.StoreMem(isa.SizeDW, isa.R10, isa.R4, -8),
			isa.JumpImm(isa.JmpJGT, isa.R4, 0, 2),
			isa.Mov64Imm(isa.R0, 1),
			isa.Ja(0), // makes 7 a prune point where the verifier keeps a state
			isa.Atomic(isa.SizeDW, isa.AtomicXchg, isa.R10, isa.R5, -8),
			jmp32(isa.JumpImm(isa.JmpJLE, isa.R5, -0x80000000, 1)), // if w5 <= 0x80000000
			isa.Mov64Imm(isa.R0, 99),
			isa.Exit(),
		},
		ctx:  [2]uint64{0xffffffffffffffc7, 2},
		want: 99,
		why: "backtrack_insn treats BPF_STX|BPF_ATOMIC on the stack as a spill only, not as a " +
			"load into src_reg, so the slot is not marked precise when the fetched value decides " +
			"a branch; the path with fp-8 != 0 is pruned as safe at 7 and r0 = 99 is hard-wired away",
	},
}

func TestKernelBugs(t *testing.T) {
	for _, c := range kernelBugs {
		t.Run(c.name, func(t *testing.T) {
			ctx := make([]byte, 16)
			binary.LittleEndian.PutUint64(ctx, c.ctx[0])
			binary.LittleEndian.PutUint64(ctx[8:], c.ctx[1])
			v, err := RunVM(DefaultVM, c.insns, ctx)
			if err != nil || v.Err != nil {
				t.Fatalf("ebpfvm: %v %v", err, v.Err)
			}
			if v.Retval != c.want {
				t.Errorf("ebpfvm r0 = %#x, want %#x (the ISA's result)", v.Retval, c.want)
			}
			if kernel.Available() != nil {
				return
			}
			k, err := RunKernel(c.insns, ctx)
			if err != nil {
				t.Fatalf("kernel: %v", err)
			}
			if uint32(k.Retval) == uint32(c.want) {
				t.Logf("the kernel agrees with the ISA here: the bug is fixed, progen's workaround could go")
			} else {
				t.Logf("kernel bug still present: kernel returns %#x, the ISA %#x: %s", k.Retval, c.want, c.why)
			}
		})
	}
}

func jmp32(in isa.Instruction) isa.Instruction {
	in.Opcode = in.Opcode&^0x07 | isa.Opcode(isa.ClassJMP32)
	return in
}
