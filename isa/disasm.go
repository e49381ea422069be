package isa

import (
	"fmt"
	"strings"
)

// String returns the instruction in the syntax of the kernel's verifier log
// (see FormatInstruction). A ld_imm64 slot on its own lacks the upper half of
// its immediate and is printed as a raw .insn line.
func (in Instruction) String() string {
	return FormatInstruction([]Instruction{in}, 0)
}

// Disassemble returns a listing of the program, one instruction per line in
// the form of the kernel's verifier log, "index: (opcode) instruction", for
// example "3: (61) r0 = *(u32 *)(r1 +4)". A ld_imm64 takes one line and two
// indexes. Assemble reads the listing back.
func Disassemble(insns []Instruction) string {
	var b strings.Builder
	for i := 0; i < len(insns); i++ {
		fmt.Fprintf(&b, "%d: (%02x) %s\n", i, uint8(insns[i].Opcode), FormatInstruction(insns, i))
		if isLdImm64Pair(insns, i) {
			i++
		}
	}
	return b.String()
}

// FormatInstruction returns the text of slot i of insns, reading the next
// slot for a ld_imm64. The syntax is that of the kernel's print_bpf_insn,
// which the verifier log and bpftool use:
//
//	r0 = *(u32 *)(r1 +4)      *(u64 *)(r10 -8) = r1     w0 += w1
//	if w1 > 0x7d0 goto pc+5   goto pc-3                 call bpf_map_lookup_elem#1
//	r1 = (s8)r2               r1 = be16 r1              r0 = atomic64_fetch_add((u64 *)(r10 -8), r0)
//
// with these additions: ld_imm64 prints "r1 = 0x1122334455667788 ll" as LLVM
// does, and its pseudo sources print "map[fd:N]", "map[fd:N][0]+OFF",
// "map[idx:N]", "map[idx:N]+OFF", "subprog[+N]" and "btf_id[N]" (with
// "[fd:M]" when the BTF object fd is not zero), in the style of bpftool;
// callx prints "callx r2" as LLVM does; a kfunc call prints
// "call kernel-function#ID", followed by " off=N" when its BTF fd index is
// not zero.
//
// A slot that is not a valid instruction (CheckInstruction fails, or a
// ld_imm64 whose second slot is missing or malformed) prints as
// ".insn op=0xff dst=1 src=0 off=0 imm=0", a raw form that Assemble also
// reads, so that every decoded program survives a round trip.
func FormatInstruction(insns []Instruction, i int) string {
	if i < 0 || i >= len(insns) {
		return fmt.Sprintf("(no instruction at %d)", i)
	}
	in := insns[i]
	if CheckInstruction(in) != nil {
		return rawString(in)
	}
	switch in.Opcode.Class() {
	case ClassALU, ClassALU64:
		return formatALU(in)
	case ClassJMP, ClassJMP32:
		return formatJump(in)
	case ClassLDX:
		return fmt.Sprintf("r%d = *(%s *)(r%d %+d)", in.Dst, sizeName(in.Opcode.Size(), in.Opcode.Mode() == ModeMEMSX), in.Src, in.Offset)
	case ClassST:
		return fmt.Sprintf("*(%s *)(r%d %+d) = %d", sizeName(in.Opcode.Size(), false), in.Dst, in.Offset, in.Imm)
	case ClassSTX:
		if in.Opcode.Mode() == ModeATOMIC {
			return formatAtomic(in)
		}
		return fmt.Sprintf("*(%s *)(r%d %+d) = r%d", sizeName(in.Opcode.Size(), false), in.Dst, in.Offset, in.Src)
	}
	return formatLD(insns, i)
}

// rawString prints any slot losslessly as a .insn directive.
func rawString(in Instruction) string {
	return fmt.Sprintf(".insn op=0x%02x dst=%d src=%d off=%d imm=%d", uint8(in.Opcode), in.Dst, in.Src, in.Offset, in.Imm)
}

// isLdImm64Pair reports whether slot i starts a well-formed ld_imm64 that
// FormatInstruction prints as one two-slot instruction.
func isLdImm64Pair(insns []Instruction, i int) bool {
	in := insns[i]
	if !in.IsLoadImm64() || i+1 >= len(insns) || CheckInstruction(in) != nil {
		return false
	}
	n := insns[i+1]
	if n.Opcode != 0 || n.Dst != 0 || n.Src != 0 || n.Offset != 0 {
		return false
	}
	switch uint8(in.Src) {
	case PseudoMapFD, PseudoMapIdx, PseudoFunc:
		return n.Imm == 0
	}
	return true
}

func sizeName(size uint8, signed bool) string {
	prefix := "u"
	if signed {
		prefix = "s"
	}
	return fmt.Sprintf("%s%d", prefix, SizeBytes(size)*8)
}

// regName returns "wN" for 32-bit operations and "rN" otherwise.
func regName(r Register, w32 bool) string {
	if w32 {
		return fmt.Sprintf("w%d", r)
	}
	return fmt.Sprintf("r%d", r)
}

var aluOpStrings = map[uint8]string{
	ALUAdd: "+=", ALUSub: "-=", ALUMul: "*=", ALUDiv: "/=", ALUOr: "|=",
	ALUAnd: "&=", ALULsh: "<<=", ALURsh: ">>=", ALUMod: "%=", ALUXor: "^=",
	ALUMov: "=", ALUArsh: "s>>=",
}

func formatALU(in Instruction) string {
	w32 := in.Opcode.Class() == ClassALU
	op, x := in.Opcode.Op(), in.Opcode.Source() == SourceX
	dst := regName(in.Dst, w32)
	switch op {
	case ALUEnd:
		if !w32 {
			return fmt.Sprintf("r%d = bswap%d r%d", in.Dst, in.Imm, in.Dst)
		}
		order := "le"
		if x {
			order = "be"
		}
		return fmt.Sprintf("r%d = %s%d r%d", in.Dst, order, in.Imm, in.Dst)
	case ALUNeg:
		return fmt.Sprintf("%s = -%s", dst, dst)
	}
	opStr := aluOpStrings[op]
	if (op == ALUDiv || op == ALUMod) && in.Offset == 1 {
		opStr = "s" + opStr
	}
	if !x {
		return fmt.Sprintf("%s %s %d", dst, opStr, in.Imm)
	}
	cast := ""
	if op == ALUMov && in.Offset != 0 {
		cast = fmt.Sprintf("(s%d)", in.Offset)
	}
	return fmt.Sprintf("%s %s %s%s", dst, opStr, cast, regName(in.Src, w32))
}

var atomicOpNames = map[int32]string{
	AtomicAdd: "add", AtomicOr: "or", AtomicAnd: "and", AtomicXor: "xor",
}

func formatAtomic(in Instruction) string {
	size := sizeName(in.Opcode.Size(), false)
	addr := fmt.Sprintf("(%s *)(r%d %+d)", size, in.Dst, in.Offset)
	width := ""
	if in.Opcode.Size() == SizeDW {
		width = "64"
	}
	switch in.Imm {
	case AtomicAdd, AtomicOr, AtomicAnd, AtomicXor:
		return fmt.Sprintf("lock *%s %s r%d", addr, aluOpStrings[uint8(in.Imm)], in.Src)
	case AtomicAdd | AtomicFetch, AtomicOr | AtomicFetch, AtomicAnd | AtomicFetch, AtomicXor | AtomicFetch:
		return fmt.Sprintf("r%d = atomic%s_fetch_%s(%s, r%d)", in.Src, width, atomicOpNames[in.Imm&^AtomicFetch], addr, in.Src)
	case AtomicXchg:
		return fmt.Sprintf("r%d = atomic%s_xchg(%s, r%d)", in.Src, width, addr, in.Src)
	case AtomicCmpXchg:
		return fmt.Sprintf("r0 = atomic%s_cmpxchg(%s, r0, r%d)", width, addr, in.Src)
	case AtomicLoadAcq:
		return fmt.Sprintf("r%d = load_acquire((%s *)(r%d %+d))", in.Dst, size, in.Src, in.Offset)
	case AtomicStoreRel:
		return fmt.Sprintf("store_release(%s, r%d)", addr, in.Src)
	}
	return rawString(in)
}

var jumpOpStrings = map[uint8]string{
	JmpJEQ: "==", JmpJGT: ">", JmpJGE: ">=", JmpJSET: "&", JmpJNE: "!=",
	JmpJSGT: "s>", JmpJSGE: "s>=", JmpJLT: "<", JmpJLE: "<=", JmpJSLT: "s<",
	JmpJSLE: "s<=",
}

func formatJump(in Instruction) string {
	w32 := in.Opcode.Class() == ClassJMP32
	switch op := in.Opcode.Op(); op {
	case JmpCall:
		return formatCall(in)
	case JmpExit:
		return "exit"
	case JmpJA:
		if w32 {
			return fmt.Sprintf("gotol pc%+d", in.Imm)
		}
		return fmt.Sprintf("goto pc%+d", in.Offset)
	case JmpJCond:
		return fmt.Sprintf("may_goto pc%+d", in.Offset)
	default:
		cond := jumpOpStrings[op]
		if in.Opcode.Source() == SourceX {
			return fmt.Sprintf("if %s %s %s goto pc%+d", regName(in.Dst, w32), cond, regName(in.Src, w32), in.Offset)
		}
		return fmt.Sprintf("if %s %s 0x%x goto pc%+d", regName(in.Dst, w32), cond, uint32(in.Imm), in.Offset)
	}
}

func formatCall(in Instruction) string {
	if in.Opcode.Source() == SourceX {
		return fmt.Sprintf("callx r%d", in.Dst)
	}
	switch uint8(in.Src) {
	case CallLocal:
		return fmt.Sprintf("call pc%+d", in.Imm)
	case CallKfunc:
		if in.Offset != 0 {
			return fmt.Sprintf("call kernel-function#%d off=%d", in.Imm, in.Offset)
		}
		return fmt.Sprintf("call kernel-function#%d", in.Imm)
	}
	name, ok := HelperName(in.Imm)
	if !ok {
		name = "unknown"
	}
	return fmt.Sprintf("call %s#%d", name, in.Imm)
}

func formatLD(insns []Instruction, i int) string {
	in := insns[i]
	size := sizeName(in.Opcode.Size(), false)
	switch in.Opcode.Mode() {
	case ModeABS:
		return fmt.Sprintf("r0 = *(%s *)skb[%d]", size, in.Imm)
	case ModeIND:
		return fmt.Sprintf("r0 = *(%s *)skb[r%d + %d]", size, in.Src, in.Imm)
	}
	if !isLdImm64Pair(insns, i) {
		return rawString(in)
	}
	next := insns[i+1]
	switch uint8(in.Src) {
	case PseudoMapFD:
		return fmt.Sprintf("r%d = map[fd:%d]", in.Dst, in.Imm)
	case PseudoMapValue:
		return fmt.Sprintf("r%d = map[fd:%d][0]%+d", in.Dst, in.Imm, next.Imm)
	case PseudoMapIdx:
		return fmt.Sprintf("r%d = map[idx:%d]", in.Dst, in.Imm)
	case PseudoMapIdxValue:
		return fmt.Sprintf("r%d = map[idx:%d]%+d", in.Dst, in.Imm, next.Imm)
	case PseudoFunc:
		return fmt.Sprintf("r%d = subprog[%+d]", in.Dst, in.Imm)
	case PseudoBTFID:
		if next.Imm != 0 {
			return fmt.Sprintf("r%d = btf_id[%d][fd:%d]", in.Dst, in.Imm, next.Imm)
		}
		return fmt.Sprintf("r%d = btf_id[%d]", in.Dst, in.Imm)
	}
	return fmt.Sprintf("r%d = 0x%x ll", in.Dst, Imm64(in, next))
}
