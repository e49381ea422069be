package isa

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/cilium/ebpf/asm"
)

func TestFromCilium(t *testing.T) {
	insns := asm.Instructions{
		asm.Mov.Imm(asm.R0, 0),
		asm.StoreMem(asm.RFP, -8, asm.R0, asm.Word),
		asm.LoadMapPtr(asm.R1, 7),
		asm.Mov.Reg(asm.R2, asm.RFP),
		asm.Add.Imm(asm.R2, -8),
		asm.FnMapLookupElem.Call(),
		asm.JEq.Imm(asm.R0, 0, "out"),
		asm.LoadMem(asm.R0, asm.R0, 0, asm.Word),
		asm.SDiv.Imm32(asm.R0, 3),
		asm.MovSX8.Reg(asm.R0, asm.R0),
		asm.FetchAdd.Mem(asm.RFP, asm.R0, asm.DWord, -16),
		asm.LoadAcquire(asm.R3, asm.R1, asm.Byte, 2),
		asm.Return().WithSymbol("out"),
	}
	want, err := Assemble(`
	r0 = 0
	*(u32 *)(r10 -8) = r0
	r1 = map[fd:7]
	r2 = r10
	r2 += -8
	call bpf_map_lookup_elem
	if r0 == 0 goto out
	r0 = *(u32 *)(r0 +0)
	w0 s/= 3
	r0 = (s8)r0
	r0 = atomic64_fetch_add((u64 *)(r10 -16), r0)
	r3 = load_acquire((u8 *)(r1 +2))
out:	exit`)
	if err != nil {
		t.Fatal(err)
	}
	orig := append(asm.Instructions(nil), insns...)
	got, err := FromCilium(insns)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FromCilium:\n%s\nwant:\n%s", Disassemble(got), Disassemble(want))
	}
	if !reflect.DeepEqual(insns, orig) {
		t.Error("FromCilium modified its argument")
	}
}

func TestFromCiliumErrors(t *testing.T) {
	insns := asm.Instructions{asm.Ja.Label("nowhere"), asm.Return()}
	if _, err := FromCilium(insns); err == nil {
		t.Error("FromCilium accepted a jump to an undefined symbol")
	}
}

func TestToCilium(t *testing.T) {
	p, err := Assemble(`
	r1 = 0x1122334455667788 ll
	r2 = map[fd:3][0]+8
	w1 = (s16)w2
	call bpf_ktime_get_ns#5
	exit`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ToCilium(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("ToCilium returned %d instructions, want 5 (ld_imm64 pairs are one):\n%v", len(got), got)
	}
	if got[0].Constant != 0x1122334455667788 || !got[1].IsLoadFromMap() || got[2].OpCode.ALUOp() != asm.MovSX16 ||
		got[3].Constant != int64(asm.FnKtimeGetNs) || got[4].OpCode.JumpOp() != asm.Exit {
		t.Errorf("ToCilium = %v", got)
	}
}

func TestToCiliumErrors(t *testing.T) {
	for _, p := range [][]Instruction{
		ld64(R1, PseudoNone, 1, 2)[:1],                          // missing second slot
		ins(ld64(R1, PseudoNone, 1, 2)[0], Instruction{Dst: 1}), // malformed second slot
	} {
		if got, err := ToCilium(p); err == nil {
			t.Errorf("ToCilium(%v) = %v, want error", p, got)
		}
	}
}

// TestCiliumRoundTrip converts random valid programs to cilium/ebpf and
// back.
func TestCiliumRoundTrip(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(9, 10))}
	for range 1000 {
		p := g.program(1 + g.r.IntN(20))
		c, err := ToCilium(p)
		if err != nil {
			if !hasTaggedHelper(p) {
				t.Fatalf("ToCilium: %v\n%s", err, Disassemble(p))
			}
			continue
		}
		got, err := FromCilium(c)
		if err != nil && hasTaggedHelper(p) {
			continue
		}
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Fatalf("FromCilium(ToCilium(p)) = %v\n%s\nwant\n%s", err, Disassemble(got), Disassemble(p))
		}
	}
}

// hasTaggedHelper reports whether p calls a helper ID that cilium/ebpf
// cannot encode: it reserves bits 28-31 for platform tags.
func hasTaggedHelper(p []Instruction) bool {
	for _, in := range p {
		if in.Opcode == OpCall && in.Src == 0 && (in.Imm < 0 || in.Imm >= 1<<28) {
			return true
		}
	}
	return false
}
