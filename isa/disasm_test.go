package isa

import (
	"reflect"
	"strings"
	"testing"
)

// insnText pairs instructions with their text. FormatInstruction(insns, 0)
// must print text, and Assemble(text) must give insns back.
type insnText struct {
	insns []Instruction
	text  string
}

func ld64(dst Register, src uint8, lo, hi int32) []Instruction {
	return []Instruction{{Opcode: OpLdImm64, Dst: dst, Src: Register(src), Imm: lo}, {Imm: hi}}
}

func ins(in ...Instruction) []Instruction { return in }

func op(parts ...uint8) Opcode {
	var o uint8
	for _, p := range parts {
		o |= p
	}
	return Opcode(o)
}

const (
	alu   = uint8(ClassALU)
	alu64 = uint8(ClassALU64)
	jmp   = uint8(ClassJMP)
	jmp32 = uint8(ClassJMP32)
	ldx   = uint8(ClassLDX)
	stx   = uint8(ClassSTX)
	ld    = uint8(ClassLD)
)

var insnTexts = []insnText{
	// ALU64 with an immediate.
	{ins(ALU64Imm(ALUAdd, R1, 5)), "r1 += 5"},
	{ins(ALU64Imm(ALUSub, R1, -3)), "r1 -= -3"},
	{ins(ALU64Imm(ALUMul, R1, 2)), "r1 *= 2"},
	{ins(ALU64Imm(ALUDiv, R1, 3)), "r1 /= 3"},
	{ins(Instruction{Opcode: op(alu64, ALUDiv), Dst: R1, Offset: 1, Imm: 3}), "r1 s/= 3"},
	{ins(ALU64Imm(ALUOr, R1, 1)), "r1 |= 1"},
	{ins(ALU64Imm(ALUAnd, R1, 255)), "r1 &= 255"},
	{ins(ALU64Imm(ALULsh, R1, 2)), "r1 <<= 2"},
	{ins(ALU64Imm(ALURsh, R1, 63)), "r1 >>= 63"},
	{ins(ALU64Imm(ALUMod, R1, 7)), "r1 %= 7"},
	{ins(Instruction{Opcode: op(alu64, ALUMod), Dst: R1, Offset: 1, Imm: -7}), "r1 s%= -7"},
	{ins(ALU64Imm(ALUXor, R1, 1)), "r1 ^= 1"},
	{ins(Mov64Imm(R0, 0)), "r0 = 0"},
	{ins(Mov64Imm(R0, -2147483648)), "r0 = -2147483648"},
	{ins(ALU64Imm(ALUArsh, R1, 3)), "r1 s>>= 3"},
	{ins(Instruction{Opcode: op(alu64, ALUNeg), Dst: R1}), "r1 = -r1"},
	// ALU64 with a register.
	{ins(ALU64Reg(ALUAdd, R0, R1)), "r0 += r1"},
	{ins(Instruction{Opcode: op(alu64, ALUDiv, SourceX), Dst: R0, Src: R1, Offset: 1}), "r0 s/= r1"},
	{ins(Instruction{Opcode: op(alu64, ALUMod, SourceX), Dst: R0, Src: R1, Offset: 1}), "r0 s%= r1"},
	{ins(ALU64Reg(ALUArsh, R9, R10)), "r9 s>>= r10"},
	{ins(Mov64Reg(R1, R10)), "r1 = r10"},
	{ins(Instruction{Opcode: op(alu64, ALUMov, SourceX), Dst: R1, Src: R2, Offset: 8}), "r1 = (s8)r2"},
	{ins(Instruction{Opcode: op(alu64, ALUMov, SourceX), Dst: R1, Src: R2, Offset: 16}), "r1 = (s16)r2"},
	{ins(Instruction{Opcode: op(alu64, ALUMov, SourceX), Dst: R1, Src: R2, Offset: 32}), "r1 = (s32)r2"},
	// ALU32.
	{ins(ALU32Reg(ALUAdd, R0, R1)), "w0 += w1"},
	{ins(ALU32Imm(ALUAdd, R0, -3)), "w0 += -3"},
	{ins(ALU32Imm(ALUMov, R0, 1)), "w0 = 1"},
	{ins(ALU32Reg(ALUMov, R0, R1)), "w0 = w1"},
	{ins(ALU32Reg(ALULsh, R0, R1)), "w0 <<= w1"},
	{ins(Instruction{Opcode: op(alu, ALUDiv), Dst: R3, Offset: 1, Imm: 10}), "w3 s/= 10"},
	{ins(Instruction{Opcode: op(alu, ALUNeg), Dst: R1}), "w1 = -w1"},
	{ins(Instruction{Opcode: op(alu, ALUMov, SourceX), Dst: R1, Src: R2, Offset: 8}), "w1 = (s8)w2"},
	{ins(Instruction{Opcode: op(alu, ALUMov, SourceX), Dst: R1, Src: R2, Offset: 16}), "w1 = (s16)w2"},
	// Byte swaps.
	{ins(Instruction{Opcode: op(alu, ALUEnd, SourceX), Dst: R1, Imm: 16}), "r1 = be16 r1"},
	{ins(Instruction{Opcode: op(alu, ALUEnd, SourceX), Dst: R1, Imm: 64}), "r1 = be64 r1"},
	{ins(Instruction{Opcode: op(alu, ALUEnd), Dst: R1, Imm: 32}), "r1 = le32 r1"},
	{ins(Instruction{Opcode: op(alu64, ALUEnd), Dst: R1, Imm: 16}), "r1 = bswap16 r1"},
	{ins(Instruction{Opcode: op(alu64, ALUEnd), Dst: R2, Imm: 64}), "r2 = bswap64 r2"},
	// Loads and stores.
	{ins(LoadMem(SizeW, R0, R1, 4)), "r0 = *(u32 *)(r1 +4)"},
	{ins(LoadMem(SizeB, R0, R1, -1)), "r0 = *(u8 *)(r1 -1)"},
	{ins(LoadMem(SizeH, R0, R1, 0)), "r0 = *(u16 *)(r1 +0)"},
	{ins(LoadMem(SizeDW, R0, R10, -512)), "r0 = *(u64 *)(r10 -512)"},
	{ins(Instruction{Opcode: op(ldx, ModeMEMSX, SizeH), Src: R1, Offset: 2}), "r0 = *(s16 *)(r1 +2)"},
	{ins(Instruction{Opcode: op(ldx, ModeMEMSX, SizeB), Src: R1, Offset: 32767}), "r0 = *(s8 *)(r1 +32767)"},
	{ins(Instruction{Opcode: op(ldx, ModeMEMSX, SizeW), Src: R1, Offset: -32768}), "r0 = *(s32 *)(r1 -32768)"},
	{ins(StoreImm(SizeW, R10, -4, 7)), "*(u32 *)(r10 -4) = 7"},
	{ins(StoreImm(SizeB, R1, 0, -1)), "*(u8 *)(r1 +0) = -1"},
	{ins(StoreImm(SizeDW, R1, 8, 2147483647)), "*(u64 *)(r1 +8) = 2147483647"},
	{ins(StoreMem(SizeDW, R10, R1, -8)), "*(u64 *)(r10 -8) = r1"},
	{ins(StoreMem(SizeH, R2, R3, 6)), "*(u16 *)(r2 +6) = r3"},
	// Atomics.
	{ins(Atomic(SizeDW, AtomicAdd, R10, R1, -8)), "lock *(u64 *)(r10 -8) += r1"},
	{ins(Atomic(SizeW, AtomicOr, R1, R2, 0)), "lock *(u32 *)(r1 +0) |= r2"},
	{ins(Atomic(SizeW, AtomicAnd, R1, R2, 0)), "lock *(u32 *)(r1 +0) &= r2"},
	{ins(Atomic(SizeDW, AtomicXor, R1, R2, 16)), "lock *(u64 *)(r1 +16) ^= r2"},
	{ins(Atomic(SizeDW, AtomicAdd|AtomicFetch, R10, R0, -8)), "r0 = atomic64_fetch_add((u64 *)(r10 -8), r0)"},
	{ins(Atomic(SizeW, AtomicXor|AtomicFetch, R1, R2, 4)), "r2 = atomic_fetch_xor((u32 *)(r1 +4), r2)"},
	{ins(Atomic(SizeDW, AtomicAnd|AtomicFetch, R1, R2, 0)), "r2 = atomic64_fetch_and((u64 *)(r1 +0), r2)"},
	{ins(Atomic(SizeW, AtomicOr|AtomicFetch, R1, R2, 0)), "r2 = atomic_fetch_or((u32 *)(r1 +0), r2)"},
	{ins(Atomic(SizeDW, AtomicXchg, R10, R1, -8)), "r1 = atomic64_xchg((u64 *)(r10 -8), r1)"},
	{ins(Atomic(SizeW, AtomicXchg, R10, R1, -8)), "r1 = atomic_xchg((u32 *)(r10 -8), r1)"},
	{ins(Atomic(SizeDW, AtomicCmpXchg, R10, R1, -8)), "r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)"},
	{ins(Atomic(SizeW, AtomicCmpXchg, R10, R1, -8)), "r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r1)"},
	{ins(Instruction{Opcode: op(stx, ModeATOMIC, SizeDW), Dst: R0, Src: R1, Imm: AtomicLoadAcq}), "r0 = load_acquire((u64 *)(r1 +0))"},
	{ins(Instruction{Opcode: op(stx, ModeATOMIC, SizeB), Dst: R3, Src: R1, Offset: 3, Imm: AtomicLoadAcq}), "r3 = load_acquire((u8 *)(r1 +3))"},
	{ins(Atomic(SizeDW, AtomicStoreRel, R1, R2, 0)), "store_release((u64 *)(r1 +0), r2)"},
	{ins(Atomic(SizeH, AtomicStoreRel, R1, R2, -2)), "store_release((u16 *)(r1 -2), r2)"},
	// Legacy packet loads.
	{ins(Instruction{Opcode: op(ld, ModeABS, SizeB), Imm: 23}), "r0 = *(u8 *)skb[23]"},
	{ins(Instruction{Opcode: op(ld, ModeIND, SizeH), Src: R1, Imm: 4}), "r0 = *(u16 *)skb[r1 + 4]"},
	{ins(Instruction{Opcode: op(ld, ModeIND, SizeW), Src: R1, Imm: -4}), "r0 = *(u32 *)skb[r1 + -4]"},
	// ld_imm64 and its pseudo sources.
	{ld64(R1, PseudoNone, 0x55667788, 0x11223344), "r1 = 0x1122334455667788 ll"},
	{ld64(R1, PseudoNone, 0, 0), "r1 = 0x0 ll"},
	{ld64(R0, PseudoNone, -1, -1), "r0 = 0xffffffffffffffff ll"},
	{ld64(R1, PseudoMapFD, 5, 0), "r1 = map[fd:5]"},
	{ld64(R1, PseudoMapValue, 5, 16), "r1 = map[fd:5][0]+16"},
	{ld64(R1, PseudoMapIdx, 3, 0), "r1 = map[idx:3]"},
	{ld64(R1, PseudoMapIdxValue, 3, 8), "r1 = map[idx:3]+8"},
	{ld64(R1, PseudoFunc, 5, 0), "r1 = subprog[+5]"},
	{ld64(R1, PseudoFunc, -3, 0), "r1 = subprog[-3]"},
	{ld64(R2, PseudoBTFID, 123, 0), "r2 = btf_id[123]"},
	{ld64(R2, PseudoBTFID, 123, 4), "r2 = btf_id[123][fd:4]"},
	// Jumps, calls, exit.
	{ins(Ja(3)), "goto pc+3"},
	{ins(Ja(-1)), "goto pc-1"},
	{ins(Ja(0)), "goto pc+0"},
	{ins(Instruction{Opcode: OpGotoL, Imm: 70000}), "gotol pc+70000"},
	{ins(Instruction{Opcode: OpGotoL, Imm: -2}), "gotol pc-2"},
	{ins(Instruction{Opcode: OpMayGoto, Offset: 2}), "may_goto pc+2"},
	{ins(Exit()), "exit"},
	{ins(Call(1)), "call bpf_map_lookup_elem#1"},
	{ins(Call(0)), "call bpf_unspec#0"},
	{ins(Call(211)), "call bpf_cgrp_storage_delete#211"},
	{ins(Call(212)), "call unknown#212"},
	{ins(Call(-1)), "call unknown#-1"},
	{ins(Instruction{Opcode: OpCall, Src: Register(CallLocal), Imm: 5}), "call pc+5"},
	{ins(Instruction{Opcode: OpCall, Src: Register(CallLocal), Imm: -7}), "call pc-7"},
	{ins(Instruction{Opcode: OpCall, Src: Register(CallKfunc), Imm: 42}), "call kernel-function#42"},
	{ins(Instruction{Opcode: OpCall, Src: Register(CallKfunc), Imm: 42, Offset: 2}), "call kernel-function#42 off=2"},
	{ins(Instruction{Opcode: OpCallX, Dst: R2}), "callx r2"},
	{ins(JumpImm(JmpJEQ, R1, 5, 1)), "if r1 == 0x5 goto pc+1"},
	{ins(Instruction{Opcode: op(jmp32, JmpJGT), Dst: R1, Imm: 2000, Offset: 5}), "if w1 > 0x7d0 goto pc+5"},
	{ins(JumpImm(JmpJSLT, R1, -1, -2)), "if r1 s< 0xffffffff goto pc-2"},
	{ins(JumpImm(JmpJSET, R1, 4, 0)), "if r1 & 0x4 goto pc+0"},
	{ins(JumpImm(JmpJGE, R1, 0, 0)), "if r1 >= 0x0 goto pc+0"},
	{ins(JumpImm(JmpJLT, R1, 1, 0)), "if r1 < 0x1 goto pc+0"},
	{ins(JumpImm(JmpJLE, R1, 1, 0)), "if r1 <= 0x1 goto pc+0"},
	{ins(JumpImm(JmpJSGT, R1, 1, 0)), "if r1 s> 0x1 goto pc+0"},
	{ins(JumpImm(JmpJSLE, R1, 1, 0)), "if r1 s<= 0x1 goto pc+0"},
	{ins(JumpReg(JmpJNE, R1, R2, 1)), "if r1 != r2 goto pc+1"},
	{ins(JumpReg(JmpJSGE, R1, R2, -32768)), "if r1 s>= r2 goto pc-32768"},
	{ins(Instruction{Opcode: op(jmp32, JmpJSGE, SourceX), Dst: R1, Src: R2, Offset: 3}), "if w1 s>= w2 goto pc+3"},
	{ins(Instruction{Opcode: op(jmp32, JmpJEQ, SourceX), Dst: R1, Src: R2}), "if w1 == w2 goto pc+0"},
	// Slots that are not valid instructions print raw.
	{ins(Instruction{Opcode: 0xff}), ".insn op=0xff dst=0 src=0 off=0 imm=0"},
	{ins(Instruction{Opcode: op(alu64, ALUAdd), Dst: R1, Src: R3, Imm: 5}), ".insn op=0x07 dst=1 src=3 off=0 imm=5"},
	{ins(Instruction{Opcode: op(alu64, ALUMov), Dst: 11, Imm: -1}), ".insn op=0xb7 dst=11 src=0 off=0 imm=-1"},
	{ins(Instruction{Opcode: OpCall, Src: 7}), ".insn op=0x85 dst=0 src=7 off=0 imm=0"},
	{ins(Instruction{Opcode: op(stx, ModeATOMIC, SizeB), Dst: R1, Src: R2}), ".insn op=0xd3 dst=1 src=2 off=0 imm=0"},
}

func TestFormatInstruction(t *testing.T) {
	for _, tt := range insnTexts {
		if got := FormatInstruction(tt.insns, 0); got != tt.text {
			t.Errorf("FormatInstruction(%#v) = %q, want %q", tt.insns, got, tt.text)
		}
	}
}

// TestFormatLdImm64Malformed checks that a ld_imm64 that cannot print as
// one instruction prints raw.
func TestFormatLdImm64Malformed(t *testing.T) {
	tests := []struct {
		insns []Instruction
		want  string
	}{
		{ld64(R1, PseudoNone, 1, 2)[:1], ".insn op=0x18 dst=1 src=0 off=0 imm=1"},
		{ins(ld64(R1, PseudoNone, 1, 0)[0], Instruction{Opcode: 0x07}), ".insn op=0x18 dst=1 src=0 off=0 imm=1"},
		{ld64(R1, PseudoMapFD, 5, 1), ".insn op=0x18 dst=1 src=1 off=0 imm=5"},
		{ld64(R1, PseudoFunc, 5, 1), ".insn op=0x18 dst=1 src=4 off=0 imm=5"},
		{ld64(R1, 7, 5, 0), ".insn op=0x18 dst=1 src=7 off=0 imm=5"},
	}
	for _, tt := range tests {
		if got := FormatInstruction(tt.insns, 0); got != tt.want {
			t.Errorf("FormatInstruction(%v) = %q, want %q", tt.insns, got, tt.want)
		}
	}
}

func TestFormatInstructionOutOfRange(t *testing.T) {
	if got := FormatInstruction(nil, 0); !strings.Contains(got, "no instruction") {
		t.Errorf("FormatInstruction(nil, 0) = %q", got)
	}
	if got := FormatInstruction(ins(Exit()), -1); !strings.Contains(got, "no instruction") {
		t.Errorf("FormatInstruction(p, -1) = %q", got)
	}
}

func TestString(t *testing.T) {
	if got, want := LoadMem(SizeW, R0, R1, 4).String(), "r0 = *(u32 *)(r1 +4)"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	// On its own, a ld_imm64 slot lacks its upper half.
	if got, want := ld64(R1, PseudoNone, 7, 0)[0].String(), ".insn op=0x18 dst=1 src=0 off=0 imm=7"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestDisassemble(t *testing.T) {
	p := []Instruction{Mov64Imm(R0, 0)}
	p = append(p, ld64(R1, PseudoNone, 0x55667788, 0x11223344)...)
	p = append(p, JumpImm(JmpJEQ, R1, 0, 1), Instruction{Opcode: 0xff}, Exit())
	want := `0: (b7) r0 = 0
1: (18) r1 = 0x1122334455667788 ll
3: (15) if r1 == 0x0 goto pc+1
4: (ff) .insn op=0xff dst=0 src=0 off=0 imm=0
5: (95) exit
`
	if got := Disassemble(p); got != want {
		t.Errorf("Disassemble:\n%s\nwant:\n%s", got, want)
	}
	if got := Disassemble(nil); got != "" {
		t.Errorf("Disassemble(nil) = %q, want empty", got)
	}
}

// TestAssembleKernelSyntax reads back every form the disassembler prints.
func TestAssembleKernelSyntax(t *testing.T) {
	for _, tt := range insnTexts {
		got, err := Assemble(tt.text)
		if err != nil {
			t.Errorf("Assemble(%q): %v", tt.text, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.insns) {
			t.Errorf("Assemble(%q) = %v, want %v", tt.text, got, tt.insns)
		}
	}
}

func TestHelperNames(t *testing.T) {
	tests := []struct {
		id   int32
		name string
	}{
		{1, "bpf_map_lookup_elem"}, {5, "bpf_ktime_get_ns"}, {6, "bpf_trace_printk"},
		{12, "bpf_tail_call"}, {99, "bpf_skc_lookup_tcp"}, {130, "bpf_ringbuf_output"},
		{209, "bpf_user_ringbuf_drain"}, {211, "bpf_cgrp_storage_delete"},
	}
	for _, tt := range tests {
		if name, ok := HelperName(tt.id); !ok || name != tt.name {
			t.Errorf("HelperName(%d) = %q, %v; want %q", tt.id, name, ok, tt.name)
		}
		if id, ok := HelperID(tt.name); !ok || id != tt.id {
			t.Errorf("HelperID(%q) = %d, %v; want %d", tt.name, id, ok, tt.id)
		}
		if id, ok := HelperID(strings.TrimPrefix(tt.name, "bpf_")); !ok || id != tt.id {
			t.Errorf("HelperID without prefix(%q) = %d, %v; want %d", tt.name, id, ok, tt.id)
		}
	}
	for _, id := range []int32{-1, 212, 1 << 30} {
		if name, ok := HelperName(id); ok {
			t.Errorf("HelperName(%d) = %q, want none", id, name)
		}
	}
	if _, ok := HelperID("no_such_helper"); ok {
		t.Error("HelperID(no_such_helper) found a helper")
	}
}
