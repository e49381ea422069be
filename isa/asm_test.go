package isa

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestAssembleVariants covers the spellings the disassembler does not
// print: LLVM's, offsets without "pc", names instead of IDs, and so on.
func TestAssembleVariants(t *testing.T) {
	tests := []struct {
		src  string
		want []Instruction
	}{
		{"goto +5", ins(Ja(5))},
		{"goto -5", ins(Ja(-5))},
		{"goto 5", ins(Ja(5))},
		{"goto +0x10", ins(Ja(16))},
		{"goto +5 <LBB0_2>", ins(Ja(5))},
		{"if r1 != 0x0 goto +0x3 <LBB0_2>", ins(JumpImm(JmpJNE, R1, 0, 3))},
		{"goto pc+0xffff", ins(Ja(-1))},
		{"gotol +70000", ins(Instruction{Opcode: OpGotoL, Imm: 70000})},
		{"may_goto +2", ins(Instruction{Opcode: OpMayGoto, Offset: 2})},
		{"if r1 > 5 goto +2", ins(JumpImm(JmpJGT, R1, 5, 2))},
		{"if r1 s> -1 goto +2", ins(JumpImm(JmpJSGT, R1, -1, 2))},
		{"if r1 == 0xffffffff goto +2", ins(JumpImm(JmpJEQ, R1, -1, 2))},
		{"if w1 < w2 goto -1", ins(Instruction{Opcode: op(jmp32, JmpJLT, SourceX), Dst: R1, Src: R2, Offset: -1})},
		{"r1 = -1", ins(Mov64Imm(R1, -1))},
		{"r1 = 0xffffffff", ins(Mov64Imm(R1, -1))},
		{"r1 = +7", ins(Mov64Imm(R1, 7))},
		{"r1 = 5 ll", ld64(R1, PseudoNone, 5, 0)},
		{"r1 = -1 ll", ld64(R1, PseudoNone, -1, -1)},
		{"r1 = 18446744073709551615 ll", ld64(R1, PseudoNone, -1, -1)},
		{"r1 = -9223372036854775808 ll", ld64(R1, PseudoNone, 0, -1<<31)},
		{"r1=r2", ins(Mov64Reg(R1, R2))},
		{"r1+=-3", ins(ALU64Imm(ALUAdd, R1, -3))},
		{"w1 = *(u32 *)(r2 + 0)", ins(LoadMem(SizeW, R1, R2, 0))},
		{"r0 = *(u64 *)(r10 - 8)", ins(LoadMem(SizeDW, R0, R10, -8))},
		{"r0 = *(u64 *)(r10)", ins(LoadMem(SizeDW, R0, R10, 0))},
		{"r0 = *(u64 *)(r10-0x8)", ins(LoadMem(SizeDW, R0, R10, -8))},
		{"*(u32 *)(r1 + 0) = w2", ins(StoreMem(SizeW, R1, R2, 0))},
		{"*(u8 *)(r1 + 4) = 0xff", ins(StoreImm(SizeB, R1, 4, 255))},
		{"lock *(u32 *)(r1 + 0) += w2", ins(Atomic(SizeW, AtomicAdd, R1, R2, 0))},
		{"r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)", ins(Atomic(SizeDW, AtomicAdd|AtomicFetch, R10, R1, -8))},
		{"w1 = atomic_fetch_and((u32 *)(r10 - 8), w1)", ins(Atomic(SizeW, AtomicAnd|AtomicFetch, R10, R1, -8))},
		{"r1 = xchg_64(r10 - 8, r1)", ins(Atomic(SizeDW, AtomicXchg, R10, R1, -8))},
		{"w1 = xchg32_32(r10 - 8, w1)", ins(Atomic(SizeW, AtomicXchg, R10, R1, -8))},
		{"r0 = cmpxchg_64(r10 - 8, r0, r1)", ins(Atomic(SizeDW, AtomicCmpXchg, R10, R1, -8))},
		{"w0 = cmpxchg32_32(r1 + 0, w0, w2)", ins(Atomic(SizeW, AtomicCmpXchg, R1, R2, 0))},
		{"w0 = load_acquire((u8 *)(r1 + 0))", ins(Instruction{Opcode: op(stx, ModeATOMIC, SizeB), Src: R1, Imm: AtomicLoadAcq})},
		{"store_release((u32 *)(r1 + 8), w2)", ins(Atomic(SizeW, AtomicStoreRel, R1, R2, 8))},
		{"r0 = *(u16 *)skb[r1]", ins(Instruction{Opcode: op(ld, ModeIND, SizeH), Src: R1})},
		{"r0 = *(u16 *)skb[r1 - 2]", ins(Instruction{Opcode: op(ld, ModeIND, SizeH), Src: R1, Imm: -2})},
		{"r1 = map[fd:5][0]-4", ld64(R1, PseudoMapValue, 5, -4)},
		{"call 1", ins(Call(1))},
		{"call bpf_map_lookup_elem", ins(Call(1))},
		{"call map_lookup_elem", ins(Call(1))},
		{"call unknown#1", ins(Call(1))},
		{"call bpf_obj_new_impl#12345", ins(Instruction{Opcode: OpCall, Src: Register(CallKfunc), Imm: 12345})},
		{"call kernel-function#-3 off=-1", ins(Instruction{Opcode: OpCall, Src: Register(CallKfunc), Imm: -3, Offset: -1})},
		{"call pc+0", ins(Instruction{Opcode: OpCall, Src: Register(CallLocal)})},
		{"callx r9", ins(Instruction{Opcode: OpCallX, Dst: R9})},
		{".insn", ins(Instruction{})},
		{".insn imm=-1 op=0x95", ins(Instruction{Opcode: 0x95, Imm: -1})},
		{".insn op=255 dst=15 src=15 off=0xffff imm=0xffffffff", ins(Instruction{Opcode: 0xff, Dst: 15, Src: 15, Offset: -1, Imm: -1})},
		// Verifier-log prefixes.
		{"0: (b7) r0 = 0", ins(Mov64Imm(R0, 0))},
		{"17: r0 = 0", ins(Mov64Imm(R0, 0))},
		{"(0f) r0 += r1", ins(ALU64Reg(ALUAdd, R0, R1))},
		// Comments and blank lines.
		{"\n  # comment\n\texit // done\n;\n", ins(Exit())},
		{"exit # comment", ins(Exit())},
		{"call bpf_map_lookup_elem#1 # comment", ins(Call(1))},
		{"exit ; comment", ins(Exit())},
		{"", nil},
	}
	for _, tt := range tests {
		got, err := Assemble(tt.src)
		if err != nil {
			t.Errorf("Assemble(%q): %v", tt.src, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Assemble(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func TestAssembleLabels(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []Instruction
	}{
		{"forward and backward", `
start:
	r0 = 0
	if r0 > 5 goto out
	goto start
out:	exit`, ins(Mov64Imm(R0, 0), JumpImm(JmpJGT, R0, 5, 1), Ja(-3), Exit())},
		{"over ld_imm64", `
	goto l
	r1 = 1 ll
l:	exit`, append(append(ins(Ja(2)), ld64(R1, PseudoNone, 1, 0)...), Exit())},
		{"local call by label", `
	call f
	exit
f:	r0 = 1
	exit`, ins(Instruction{Opcode: OpCall, Src: Register(CallLocal), Imm: 1}, Exit(), Mov64Imm(R0, 1), Exit())},
		{"label shadows helper", `
	call bpf_ktime_get_ns
bpf_ktime_get_ns:
	exit`, ins(Instruction{Opcode: OpCall, Src: Register(CallLocal), Imm: 0}, Exit())},
		{"gotol, may_goto and subprog", `
	gotol end
	may_goto end
	r1 = subprog[f]
end:
f:	exit`, append(append(ins(Instruction{Opcode: OpGotoL, Imm: 3}, Instruction{Opcode: OpMayGoto, Offset: 2}), ld64(R1, PseudoFunc, 1, 0)...), Exit())},
		{"implicit exit label", `
	ja exit
	mov %r0, 1
	exit
	exit`, ins(Ja(1), Mov64Imm(R0, 1), Exit(), Exit())},
		{"explicit exit label wins", `
	ja exit
	exit
exit:
	exit`, ins(Ja(1), Exit(), Exit())},
		{"label at end", `
	goto end
end:`, ins(Ja(0))},
		{"two labels, one slot", `
a: b: exit
	goto a
	goto b`, ins(Exit(), Ja(-2), Ja(-3))},
		{"mixed syntaxes", `
	mov %r0, 0
	if r0 == 0 goto done
	jeq %r0, 1, done
	r0 = 1
done:
	exit`, ins(Mov64Imm(R0, 0), JumpImm(JmpJEQ, R0, 0, 2), JumpImm(JmpJEQ, R0, 1, 1), Mov64Imm(R0, 1), Exit())},
	}
	for _, tt := range tests {
		got, err := Assemble(tt.src)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, Disassemble(got), Disassemble(tt.want))
		}
	}
}

func TestAssembleErrors(t *testing.T) {
	far := "goto far\n" + strings.Repeat("r0 = 0\n", 40000) + "far: exit"
	tests := []struct {
		src  string
		want string
	}{
		{"r11 = 1", "line 1: unknown register r11"},
		{"exit\nr1 = w2", "line 2: register w2: cannot mix 32-bit (w) and 64-bit (r) registers"},
		{"w1 += r2", "cannot mix"},
		{"if r1 > w2 goto +1", "cannot mix"},
		{"\n\nr1 = *(u32 *)(r1 +40000)", "line 3: offset 40000 does not fit 16 bits"},
		{"r1 = *(u32 *)(r1 +0x10000)", "offset 0x10000 does not fit 16 bits"},
		{"r1 = 0x100000000", "immediate 0x100000000 does not fit 32 bits (write \"ll\" after it for a 64-bit load)"},
		{"r1 = 2147483648", "does not fit 32 bits"},
		{"r1 = -2147483649", "does not fit 32 bits"},
		{"r1 = 99999999999999999999 ll", "does not fit 64 bits"},
		{"r1 = -9223372036854775809 ll", "does not fit 64 bits"},
		{"w1 = 1 ll", "a 64-bit load needs an r register"},
		{"goto +40000", "jump offset 40000 does not fit 16 bits"},
		{"goto nowhere", "line 1: undefined label \"nowhere\""},
		{"a:\na: exit", "line 2: label \"a\" already defined on line 1"},
		{far, "line 1: jump to label \"far\" is out of range (offset 40000 does not fit 16 bits)"},
		{"frob r1", "line 1: unknown instruction \"frob\""},
		{"mov %r16, 1", "unknown register %r16"},
		{"mov %x1, 1", "unknown register %x1"},
		{"mov r1, 1", "expected \"%\""},
		{"jeq %r1, 5", "expected \",\", found end of line"},
		{"r1 = be16 r2", "a byte swap must use the destination register r1, not r2"},
		{"r1 = -r2", "negation must use the destination register r1"},
		{"call nothing", "line 1: \"nothing\" is neither a label nor a helper function"},
		{"call bpf_map_lookup_elem#2", "helper bpf_map_lookup_elem has ID 1, not 2"},
		{"r1 = 5 extra", "unexpected \"extra\" after instruction"},
		{"(b7) r0 = r1", "opcode annotation (b7) does not match the instruction's opcode (bf)"},
		{"(zz) r0 = r1", "bad opcode annotation \"zz\""},
		{"0: (b7)", "opcode annotation (b7) without an instruction"},
		{"r1 = *(u128 *)(r1 +0)", "unknown memory type \"u128\""},
		{"r1 = *(uu32 *)(r1 +0)", "unknown memory type \"uu32\""},
		{"r1 = *( *)(r1 +0)", "unknown memory type \"*\""},
		{"r1 = *(", "unknown memory type \"\""},
		{"*(s32 *)(r1 +0) = 1", "only loads sign-extend"},
		{"r1 = atomic64_fetch_add((u32 *)(r1 +0), r1)", "atomic64_ functions take a u64 pointer"},
		{"r2 = atomic64_xchg((u64 *)(r1 +0), r3)", "the result register r2 must be the value register r3"},
		{"r1 = atomic64_cmpxchg((u64 *)(r1 +0), r0, r3)", "cmpxchg compares with and writes r0"},
		{"r1 = *(u8 *)skb[4]", "packet loads write r0, not r1"},
		{"r1 = map[id:5]", "expected map[fd:N] or map[idx:N]"},
		{"r1 = map[fd:5][1]+4", "expected [0]+OFFSET after map[fd:5]"},
		{"r1 = (s64)r2", "unknown sign-extension \"s64\""},
		{"lock *(u64 *)(r1 +0) -= r2", "unknown atomic operation"},
		{"lock frob [%r1], %r2", "unknown atomic operation \"frob\""},
		{"lock add64 [%r1], %r2", "unknown atomic operation \"add64\""},
		{"if r1 ~ 3 goto +1", "unexpected character"},
		{"if r1 =< 3 goto +1", "unknown comparison"},
		{"if r1 > 3 goto", "expected a jump target, found \"\""},
		{"r1 @ 2", "unexpected character '@'"},
		{"r1 = 0x", "invalid number \"0x\""},
		{"r1 = 12ab", "invalid number \"12ab\""},
		{"r1 = r1r", "unexpected \"r1r\" after \"=\""},
		{"r1 = (s8)x", "expected a register, found \"x\""},
		{"+", "expected an instruction"},
		{".insn op=0x100", ".insn op=0x100 is out of range [0, 255]"},
		{".insn dst=-1", ".insn dst=-1 is out of range [0, 15]"},
		{".insn op=1 op=2", "field \"op\" given twice"},
		{".insn foo=1", "unknown .insn field \"foo\""},
		{"stw [%r1+4], 0x100000000", "does not fit 32 bits"},
		{"ldxw %r1, [%r1+32768]", "offset 32768 does not fit 16 bits"},
		{"call helper", "expected a number"},
		{"call", "expected a call target, found end of line"},
		{"call kernel-function", "expected \"#\""},
		{"store_release((u64 *)(r1 +0) r2)", "expected \",\""},
		{"r0 = load_acquire((s64 *)(r1 +0))", "only loads sign-extend"},
		{"r1 = btf_id[x]", "expected a number"},
		{"r1 = btf_id[1][id:2]", "expected \"fd\""},
		{"r1 = btf_id[1][fd:x]", "expected a number"},
		{"r1 = subprog[+1", "expected \"]\""},
		{"r1 = *(u32 *)(r1 +4", "expected \")\""},
		{"r1 = *(u32 *)r1", "expected \"(\""},
		{"lddw %r0", "expected \",\""},
		{"jeq %r1, %r2 +1", "expected \",\""},
		{"stw [%r1+4] 5", "expected \",\""},
		{"stxw [%r1+4], 5", "expected \"%\""},
		{"ldindw 5", "expected \"%\""},
		{"ldxw %r1, [%r1+4", "expected \"]\""},
	}
	for _, tt := range tests {
		_, err := Assemble(tt.src)
		if err == nil {
			t.Errorf("Assemble(%q) succeeded, want error %q", tt.src, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Assemble(%q) error = %q, want it to contain %q", tt.src, err, tt.want)
		}
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line < 1 {
			t.Errorf("Assemble(%q) error %v is not a *SyntaxError with a line", tt.src, err)
		}
	}
}
