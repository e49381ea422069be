package isa

import (
	"fmt"
	"strconv"
	"strings"
)

// This file parses the uBPF syntax of the bpf_conformance suite: a mnemonic
// followed by comma-separated operands, registers written %rN and memory
// operands [%rN+OFF].

// ubpfReg parses "%rN". Like the suite's assembler it accepts the
// nonexistent %r11-%r15, which negative tests use.
func (p *parser) ubpfReg() (Register, error) {
	if err := p.expect("%"); err != nil {
		return 0, err
	}
	t := p.next()
	n, err := strconv.Atoi(strings.TrimPrefix(t, "r"))
	if !strings.HasPrefix(t, "r") || err != nil || n < 0 || n > 15 {
		return 0, fmt.Errorf("unknown register %%%s", t)
	}
	return Register(n), nil
}

// ubpfMem parses "[%rN]", "[%rN+OFF]" or "[%rN-OFF]".
func (p *parser) ubpfMem() (Register, int16, error) {
	if err := p.expect("["); err != nil {
		return 0, 0, err
	}
	r, err := p.ubpfReg()
	if err != nil {
		return 0, 0, err
	}
	var off int16
	if p.peek() == "+" || p.peek() == "-" {
		if off, err = p.off16(); err != nil {
			return 0, 0, err
		}
	}
	return r, off, p.expect("]")
}

// comma expects the operand separator.
func (p *parser) comma() error { return p.expect(",") }

// regOrImm parses a register or a 32-bit immediate operand, returning the
// source bit for the opcode.
func (p *parser) regOrImm(in *Instruction) (err error) {
	if p.peek() == "%" {
		in.Opcode |= Opcode(SourceX)
		in.Src, err = p.ubpfReg()
		return err
	}
	in.Imm, err = p.imm32()
	return err
}

var ubpfALU = map[string]uint8{
	"add": ALUAdd, "sub": ALUSub, "mul": ALUMul, "div": ALUDiv, "sdiv": ALUDiv,
	"or": ALUOr, "and": ALUAnd, "lsh": ALULsh, "rsh": ALURsh, "neg": ALUNeg,
	"mod": ALUMod, "smod": ALUMod, "xor": ALUXor, "mov": ALUMov, "arsh": ALUArsh,
}

var ubpfJumps = map[string]uint8{
	"jeq": JmpJEQ, "jgt": JmpJGT, "jge": JmpJGE, "jset": JmpJSET, "jne": JmpJNE,
	"jsgt": JmpJSGT, "jsge": JmpJSGE, "jlt": JmpJLT, "jle": JmpJLE,
	"jslt": JmpJSLT, "jsle": JmpJSLE,
}

var ubpfSizes = map[string]uint8{"b": SizeB, "h": SizeH, "w": SizeW, "dw": SizeDW}

// parseUBPF parses a uBPF-syntax instruction.
func parseUBPF(p *parser) (stmt, error) {
	m := p.next()
	switch {
	case m == "exit":
		return one(Exit()), nil
	case m == "ja":
		s := one(Ja(0))
		return s, p.jumpTarget(&s)
	case m == "ja32":
		s := one(Instruction{Opcode: OpGotoL})
		return s, p.immTarget(&s, fixImm)
	case m == "lddw":
		return parseLddw(p)
	}
	if base, w32 := splitWidth(m); ubpfJumps[base] != 0 {
		return parseUBPFJump(p, ubpfJumps[base], w32)
	}
	if s, ok, err := parseUBPFMem(p, m); ok {
		return s, err
	}
	if s, ok, err := parseUBPFSwap(p, m); ok {
		return s, err
	}
	if s, ok, err := parseUBPFALU(p, m); ok {
		return s, err
	}
	return stmt{}, fmt.Errorf("unknown instruction %q", m)
}

// splitWidth removes a "32" or "64" suffix and reports a 32-bit one.
func splitWidth(m string) (string, bool) {
	if base, ok := strings.CutSuffix(m, "32"); ok {
		return base, true
	}
	base, _ := strings.CutSuffix(m, "64")
	return base, false
}

func parseLddw(p *parser) (stmt, error) {
	r, err := p.ubpfReg()
	if err != nil {
		return stmt{}, err
	}
	if err := p.comma(); err != nil {
		return stmt{}, err
	}
	v, err := p.imm64()
	return ldImm64(r, PseudoNone, int32(uint32(v)), int32(uint32(v>>32))), err
}

// parseUBPFJump parses "jeq %r1, 5, label" and "jne32 %r1, %r2, +3".
func parseUBPFJump(p *parser, op uint8, w32 bool) (stmt, error) {
	in := Instruction{Opcode: Opcode(ClassJMP) | Opcode(op)}
	if w32 {
		in.Opcode = Opcode(ClassJMP32) | Opcode(op)
	}
	var err error
	if in.Dst, err = p.ubpfReg(); err != nil {
		return stmt{}, err
	}
	if err := p.comma(); err != nil {
		return stmt{}, err
	}
	if err := p.regOrImm(&in); err != nil {
		return stmt{}, err
	}
	if err := p.comma(); err != nil {
		return stmt{}, err
	}
	s := one(in)
	return s, p.jumpTarget(&s)
}

// parseUBPFMem parses the loads and stores: ldx{b,h,w,dw}, ldxs{b,h,w},
// st{b,h,w,dw}, stx{b,h,w,dw}, ldabs{b,h,w} and ldind{b,h,w}.
func parseUBPFMem(p *parser, m string) (stmt, bool, error) {
	for _, form := range []struct {
		prefix string
		parse  func(*parser, uint8) (stmt, error)
	}{
		{"ldxs", parseLdxs}, {"ldx", parseLdx}, {"stx", parseStx}, {"st", parseSt},
		{"ldabs", parseLdAbs}, {"ldind", parseLdInd},
	} {
		if size, ok := ubpfSizes[strings.TrimPrefix(m, form.prefix)]; ok && strings.HasPrefix(m, form.prefix) {
			s, err := form.parse(p, size)
			return s, true, err
		}
	}
	return stmt{}, false, nil
}

func parseLdx(p *parser, size uint8) (stmt, error) {
	dst, err := p.ubpfReg()
	if err != nil {
		return stmt{}, err
	}
	if err := p.comma(); err != nil {
		return stmt{}, err
	}
	src, off, err := p.ubpfMem()
	return one(LoadMem(size, dst, src, off)), err
}

func parseLdxs(p *parser, size uint8) (stmt, error) {
	s, err := parseLdx(p, size)
	if err != nil {
		return s, err
	}
	s.insns[0].Opcode = Opcode(ClassLDX) | Opcode(ModeMEMSX) | Opcode(size)
	return s, nil
}

func parseSt(p *parser, size uint8) (stmt, error) {
	dst, off, err := p.ubpfMem()
	if err != nil {
		return stmt{}, err
	}
	if err := p.comma(); err != nil {
		return stmt{}, err
	}
	v, err := p.imm32()
	return one(StoreImm(size, dst, off, v)), err
}

func parseStx(p *parser, size uint8) (stmt, error) {
	dst, off, err := p.ubpfMem()
	if err != nil {
		return stmt{}, err
	}
	if err := p.comma(); err != nil {
		return stmt{}, err
	}
	src, err := p.ubpfReg()
	return one(StoreMem(size, dst, src, off)), err
}

// parseLdAbs parses "ldabsw 12".
func parseLdAbs(p *parser, size uint8) (stmt, error) {
	v, err := p.imm32()
	return one(Instruction{Opcode: Opcode(ClassLD) | Opcode(ModeABS) | Opcode(size), Imm: v}), err
}

// parseLdInd parses "ldindw %r1, 12".
func parseLdInd(p *parser, size uint8) (stmt, error) {
	src, err := p.ubpfReg()
	if err != nil {
		return stmt{}, err
	}
	if err := p.comma(); err != nil {
		return stmt{}, err
	}
	v, err := p.imm32()
	return one(Instruction{Opcode: Opcode(ClassLD) | Opcode(ModeIND) | Opcode(size), Src: src, Imm: v}), err
}

// parseUBPFSwap parses be16/32/64, le16/32/64 and swap16/32/64 (alias
// bswap16/32/64).
func parseUBPFSwap(p *parser, m string) (stmt, bool, error) {
	var op Opcode
	var width string
	switch {
	case strings.HasPrefix(m, "bswap"):
		op, width = Opcode(ClassALU64)|Opcode(ALUEnd), m[5:]
	case strings.HasPrefix(m, "swap"):
		op, width = Opcode(ClassALU64)|Opcode(ALUEnd), m[4:]
	case strings.HasPrefix(m, "be"):
		op, width = Opcode(ClassALU)|Opcode(ALUEnd)|Opcode(SourceX), m[2:]
	case strings.HasPrefix(m, "le"):
		op, width = Opcode(ClassALU)|Opcode(ALUEnd), m[2:]
	default:
		return stmt{}, false, nil
	}
	bits := map[string]int32{"16": 16, "32": 32, "64": 64}[width]
	if bits == 0 {
		return stmt{}, false, nil
	}
	r, err := p.ubpfReg()
	return one(Instruction{Opcode: op, Dst: r, Imm: bits}), true, err
}

// parseUBPFALU parses the ALU mnemonics with their optional 32/64 suffix,
// sdiv/smod (offset 1) and movsx{8,16,32}{32,64} (offset 8, 16 or 32).
func parseUBPFALU(p *parser, m string) (stmt, bool, error) {
	var in Instruction
	base, w32 := splitWidth(m)
	if rest, ok := strings.CutPrefix(m, "movsx"); ok {
		bits, cls, ok := splitMovSX(rest)
		if !ok {
			return stmt{}, false, nil
		}
		base, w32, in.Offset = "mov", cls, bits
	}
	op, ok := ubpfALU[base]
	if !ok {
		return stmt{}, false, nil
	}
	if base == "sdiv" || base == "smod" {
		in.Offset = 1
	}
	in.Opcode = aluOpcode(op, w32, SourceK)
	var err error
	if in.Dst, err = p.ubpfReg(); err != nil || op == ALUNeg {
		return one(in), true, err
	}
	if err := p.comma(); err != nil {
		return stmt{}, true, err
	}
	err = p.regOrImm(&in)
	return one(in), true, err
}

// splitMovSX splits the "864" of "movsx864" into the source width (8) and
// the class (ALU64); a missing class means ALU64.
func splitMovSX(rest string) (int16, bool, bool) {
	for _, bits := range []string{"8", "16", "32"} {
		cls, ok := strings.CutPrefix(rest, bits)
		if !ok {
			continue
		}
		if cls == "" || cls == "32" || cls == "64" {
			n, _ := strconv.Atoi(bits)
			return int16(n), cls == "32", true
		}
	}
	return 0, false, false
}

var ubpfAtomics = map[string]int32{
	"add": AtomicAdd, "and": AtomicAnd, "or": AtomicOr, "xor": AtomicXor,
	"xchg": AtomicXchg, "cmpxchg": AtomicCmpXchg,
}

// parseUBPFAtomic parses "[fetch] op[32] [%rD+OFF], %rS" after "lock".
func parseUBPFAtomic(p *parser) (stmt, error) {
	fetch := p.accept("fetch")
	m := p.next()
	base, w32 := splitWidth(m)
	op, ok := ubpfAtomics[base]
	if !ok || strings.HasSuffix(m, "64") {
		return stmt{}, fmt.Errorf("unknown atomic operation %q", m)
	}
	if fetch {
		op |= AtomicFetch
	}
	size := SizeDW
	if w32 {
		size = SizeW
	}
	dst, off, err := p.ubpfMem()
	if err != nil {
		return stmt{}, err
	}
	if err := p.comma(); err != nil {
		return stmt{}, err
	}
	src, err := p.ubpfReg()
	return one(Atomic(size, op, dst, src, off)), err
}
