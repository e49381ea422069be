package isa

import (
	"fmt"
	"strconv"
	"strings"
)

// This file parses the kernel/LLVM syntax.

func parseKernel(p *parser) (stmt, error) {
	switch p.peek() {
	case "if":
		p.next()
		return parseCondJump(p)
	case "goto":
		p.next()
		s := one(Ja(0))
		return s, p.jumpTarget(&s)
	case "gotol":
		p.next()
		s := one(Instruction{Opcode: OpGotoL})
		return s, p.immTarget(&s, fixImm)
	case "may_goto":
		p.next()
		s := one(Instruction{Opcode: OpMayGoto})
		return s, p.jumpTarget(&s)
	case "callx":
		p.next()
		r, _, err := p.kreg()
		return one(Instruction{Opcode: OpCallX, Dst: r}), err
	case "exit":
		p.next()
		return one(Exit()), nil
	case "lock":
		p.next()
		return parseLock(p)
	case "store_release":
		p.next()
		return parseStoreRelease(p)
	case "*":
		p.next()
		return parseStore(p)
	}
	return parseAssign(p)
}

// kreg parses a kernel-syntax register, rN or wN, and reports whether it
// is a 32-bit (w) name.
func (p *parser) kreg() (Register, bool, error) {
	t := p.next()
	if !isKernelReg(t) {
		return 0, false, fmt.Errorf("expected a register, found %q", t)
	}
	n, err := strconv.Atoi(t[1:])
	if err != nil || n > int(R10) {
		return 0, false, fmt.Errorf("unknown register %s", t)
	}
	return Register(n), t[0] == 'w', nil
}

// kregWidth parses a register that must have the given width.
func (p *parser) kregWidth(w32 bool) (Register, error) {
	t := p.peek()
	r, w, err := p.kreg()
	if err == nil && w != w32 {
		err = fmt.Errorf("register %s: cannot mix 32-bit (w) and 64-bit (r) registers", t)
	}
	return r, err
}

// addrReg parses a 64-bit register used as an address.
func (p *parser) addrReg() (Register, error) { return p.kregWidth(false) }

// sameReg parses a register that must repeat dst ("r1 = be16 r1").
func (p *parser) sameReg(dst Register, what string) error {
	t := p.peek()
	r, _, err := p.kreg()
	if err == nil && r != dst {
		err = fmt.Errorf("%s must use the destination register r%d, not %s", what, dst, t)
	}
	return err
}

var memSizes = map[string]uint8{"8": SizeB, "16": SizeH, "32": SizeW, "64": SizeDW}

// memType parses "(u32 *)" or "(s16 *)".
func (p *parser) memType() (size uint8, signed bool, err error) {
	if err := p.expect("("); err != nil {
		return 0, false, err
	}
	t := p.next()
	size, ok := memSizes[t[min(1, len(t)):]]
	if !ok || (t[0] != 'u' && t[0] != 's') {
		return 0, false, fmt.Errorf("unknown memory type %q (want u8, u16, u32, u64, s8, s16 or s32)", t)
	}
	if err := p.expect("*"); err != nil {
		return 0, false, err
	}
	return size, t[0] == 's', p.expect(")")
}

// memAddr parses "r1", "r1 +4" or "r10 - 8".
func (p *parser) memAddr() (Register, int16, error) {
	r, err := p.addrReg()
	if err != nil {
		return 0, 0, err
	}
	if p.peek() != "+" && p.peek() != "-" {
		return r, 0, nil
	}
	off, err := p.off16()
	return r, off, err
}

// memRef is a parsed "(u32 *)(r1 +4)".
type memRef struct {
	size   uint8
	signed bool
	reg    Register
	off    int16
}

func (p *parser) memRef() (memRef, error) {
	var m memRef
	var err error
	if m.size, m.signed, err = p.memType(); err != nil {
		return m, err
	}
	if err := p.expect("("); err != nil {
		return m, err
	}
	if m.reg, m.off, err = p.memAddr(); err != nil {
		return m, err
	}
	return m, p.expect(")")
}

// unsignedRef parses a memory reference whose type must be unsigned.
func (p *parser) unsignedRef() (memRef, error) {
	m, err := p.memRef()
	if err == nil && m.signed {
		err = fmt.Errorf("only loads sign-extend: use a u%d type", SizeBytes(m.size)*8)
	}
	return m, err
}

// parseStore parses "*(u32 *)(r1 +4) = r2" and "... = 5" after the "*".
func parseStore(p *parser) (stmt, error) {
	m, err := p.unsignedRef()
	if err != nil {
		return stmt{}, err
	}
	if err := p.expect("="); err != nil {
		return stmt{}, err
	}
	if isKernelReg(p.peek()) {
		r, _, err := p.kreg()
		return one(StoreMem(m.size, m.reg, r, m.off)), err
	}
	v, err := p.imm32()
	return one(StoreImm(m.size, m.reg, m.off, v)), err
}

var lockOps = map[string]int32{"+=": AtomicAdd, "&=": AtomicAnd, "|=": AtomicOr, "^=": AtomicXor}

// parseLock parses "lock *(u64 *)(r10 -8) += r1" after "lock".
func parseLock(p *parser) (stmt, error) {
	if err := p.expect("*"); err != nil {
		return stmt{}, err
	}
	m, err := p.unsignedRef()
	if err != nil {
		return stmt{}, err
	}
	op, ok := lockOps[p.next()]
	if !ok {
		return stmt{}, fmt.Errorf("unknown atomic operation (want +=, &=, |= or ^=)")
	}
	r, _, err := p.kreg()
	return one(Atomic(m.size, op, m.reg, r, m.off)), err
}

// parseStoreRelease parses "store_release((u64 *)(r1 +0), r2)".
func parseStoreRelease(p *parser) (stmt, error) {
	if err := p.expect("("); err != nil {
		return stmt{}, err
	}
	m, err := p.unsignedRef()
	if err != nil {
		return stmt{}, err
	}
	if err := p.expect(","); err != nil {
		return stmt{}, err
	}
	r, _, err := p.kreg()
	if err != nil {
		return stmt{}, err
	}
	return one(Atomic(m.size, AtomicStoreRel, m.reg, r, m.off)), p.expect(")")
}

var condOps = map[string]uint8{
	"==": JmpJEQ, ">": JmpJGT, ">=": JmpJGE, "&": JmpJSET, "!=": JmpJNE,
	"s>": JmpJSGT, "s>=": JmpJSGE, "<": JmpJLT, "<=": JmpJLE, "s<": JmpJSLT,
	"s<=": JmpJSLE,
}

// operator reads an operator, joining a leading "s" (signed) to it.
func (p *parser) operator() string {
	t := p.next()
	if t == "s" && !p.done() {
		t += p.next()
	}
	return t
}

// parseCondJump parses "if r1 > 0x5 goto pc+3" after "if".
func parseCondJump(p *parser) (stmt, error) {
	dst, w32, err := p.kreg()
	if err != nil {
		return stmt{}, err
	}
	t := p.operator()
	op, ok := condOps[t]
	if !ok {
		return stmt{}, fmt.Errorf("unknown comparison %q", t)
	}
	in := Instruction{Opcode: Opcode(ClassJMP) | Opcode(op), Dst: dst}
	if w32 {
		in.Opcode = Opcode(ClassJMP32) | Opcode(op)
	}
	if isKernelReg(p.peek()) {
		in.Opcode |= Opcode(SourceX)
		in.Src, err = p.kregWidth(w32)
	} else {
		in.Imm, err = p.imm32()
	}
	if err != nil {
		return stmt{}, err
	}
	if err := p.expect("goto"); err != nil {
		return stmt{}, err
	}
	s := one(in)
	return s, p.jumpTarget(&s)
}

var aluOps = map[string]uint8{
	"+=": ALUAdd, "-=": ALUSub, "*=": ALUMul, "/=": ALUDiv, "|=": ALUOr,
	"&=": ALUAnd, "<<=": ALULsh, ">>=": ALURsh, "%=": ALUMod, "^=": ALUXor,
	"s>>=": ALUArsh, "s/=": ALUDiv, "s%=": ALUMod,
}

func aluOpcode(op uint8, w32 bool, src uint8) Opcode {
	if w32 {
		return Opcode(ClassALU) | Opcode(op) | Opcode(src)
	}
	return Opcode(ClassALU64) | Opcode(op) | Opcode(src)
}

// parseAssign parses the statements that start with a register.
func parseAssign(p *parser) (stmt, error) {
	dst, w32, err := p.kreg()
	if err != nil {
		return stmt{}, err
	}
	t := p.operator()
	if t == "=" {
		return parseAssignValue(p, dst, w32)
	}
	op, ok := aluOps[t]
	if !ok {
		return stmt{}, fmt.Errorf("unknown operator %q", t)
	}
	in := Instruction{Dst: dst}
	if t == "s/=" || t == "s%=" {
		in.Offset = 1
	}
	if isKernelReg(p.peek()) {
		in.Opcode = aluOpcode(op, w32, SourceX)
		in.Src, err = p.kregWidth(w32)
	} else {
		in.Opcode = aluOpcode(op, w32, SourceK)
		in.Imm, err = p.imm32()
	}
	return one(in), err
}

// parseAssignValue parses what follows "rN =".
func parseAssignValue(p *parser, dst Register, w32 bool) (stmt, error) {
	t := p.peek()
	switch {
	case t == "*":
		p.next()
		return parseLoad(p, dst)
	case t == "-" && isKernelReg(p.peekAt(1)):
		p.next()
		return one(Instruction{Opcode: aluOpcode(ALUNeg, w32, SourceK), Dst: dst}), p.sameReg(dst, "negation")
	case t == "(":
		return parseMovSX(p, dst, w32)
	case isKernelReg(t):
		r, err := p.kregWidth(w32)
		return one(Instruction{Opcode: aluOpcode(ALUMov, w32, SourceX), Dst: dst, Src: r}), err
	case p.atNumber():
		return parseMovImm(p, dst, w32)
	case t == "map" || t == "subprog" || t == "btf_id":
		if w32 {
			return stmt{}, fmt.Errorf("a 64-bit load needs an r register")
		}
		p.next()
		return parsePseudo(p, dst, t)
	case t == "load_acquire":
		p.next()
		return parseLoadAcquire(p, dst)
	}
	if s, ok, err := parseByteSwap(p, dst); ok {
		return s, err
	}
	if s, ok, err := parseAtomicCall(p, dst, w32); ok {
		return s, err
	}
	return stmt{}, fmt.Errorf("unexpected %s after \"=\"", p.describe())
}

// parseMovImm parses "rN = 5" and the 64-bit "rN = 0x1122334455667788 ll".
func parseMovImm(p *parser, dst Register, w32 bool) (stmt, error) {
	if p.peekAt(1) == "ll" || p.peekAt(2) == "ll" {
		if w32 {
			return stmt{}, fmt.Errorf("a 64-bit load needs an r register")
		}
		v, err := p.imm64()
		if err == nil {
			err = p.expect("ll")
		}
		return ldImm64(dst, PseudoNone, int32(uint32(v)), int32(uint32(v>>32))), err
	}
	v, err := p.imm32()
	if err != nil {
		return stmt{}, fmt.Errorf("%v (write \"ll\" after it for a 64-bit load)", err)
	}
	return one(Instruction{Opcode: aluOpcode(ALUMov, w32, SourceK), Dst: dst, Imm: v}), nil
}

// parseMovSX parses "r1 = (s8)r2".
func parseMovSX(p *parser, dst Register, w32 bool) (stmt, error) {
	p.next()
	t := p.next()
	bits := map[string]int16{"s8": 8, "s16": 16, "s32": 32}[t]
	if bits == 0 {
		return stmt{}, fmt.Errorf("unknown sign-extension %q (want s8, s16 or s32)", t)
	}
	if err := p.expect(")"); err != nil {
		return stmt{}, err
	}
	r, err := p.kregWidth(w32)
	return one(Instruction{Opcode: aluOpcode(ALUMov, w32, SourceX), Dst: dst, Src: r, Offset: bits}), err
}

// parseLoad parses "*(u32 *)(r1 +4)" and "*(u8 *)skb[...]" after "rN = *".
func parseLoad(p *parser, dst Register) (stmt, error) {
	size, signed, err := p.memType()
	if err != nil {
		return stmt{}, err
	}
	if p.accept("skb") {
		if signed {
			return stmt{}, fmt.Errorf("packet loads do not sign-extend")
		}
		if dst != R0 {
			return stmt{}, fmt.Errorf("packet loads write r0, not r%d", dst)
		}
		return parseSkb(p, size)
	}
	if err := p.expect("("); err != nil {
		return stmt{}, err
	}
	r, off, err := p.memAddr()
	if err != nil {
		return stmt{}, err
	}
	in := LoadMem(size, dst, r, off)
	if signed {
		in.Opcode = Opcode(ClassLDX) | Opcode(ModeMEMSX) | Opcode(size)
	}
	return one(in), p.expect(")")
}

// parseSkb parses "[23]" or "[r1 + 4]" after "*(u8 *)skb".
func parseSkb(p *parser, size uint8) (stmt, error) {
	if err := p.expect("["); err != nil {
		return stmt{}, err
	}
	in := Instruction{Opcode: Opcode(ClassLD) | Opcode(ModeABS) | Opcode(size)}
	var err error
	if isKernelReg(p.peek()) {
		in.Opcode = Opcode(ClassLD) | Opcode(ModeIND) | Opcode(size)
		if in.Src, err = p.addrReg(); err != nil {
			return stmt{}, err
		}
		if p.peek() == "+" || p.peek() == "-" {
			p.accept("+")
			in.Imm, err = p.imm32()
		}
	} else {
		in.Imm, err = p.imm32()
	}
	if err != nil {
		return stmt{}, err
	}
	return one(in), p.expect("]")
}

// parsePseudo parses the ld_imm64 forms map[fd:N], map[fd:N][0]+OFF,
// map[idx:N], map[idx:N]+OFF, subprog[TARGET] and btf_id[N][fd:M].
func parsePseudo(p *parser, dst Register, kind string) (stmt, error) {
	if err := p.expect("["); err != nil {
		return stmt{}, err
	}
	switch kind {
	case "subprog":
		s := ldImm64(dst, PseudoFunc, 0, 0)
		if err := p.immTarget(&s, fixImm); err != nil {
			return s, err
		}
		return s, p.expect("]")
	case "btf_id":
		return parseBTFID(p, dst)
	}
	return parseMapRef(p, dst)
}

func parseMapRef(p *parser, dst Register) (stmt, error) {
	t := p.next()
	if t != "fd" && t != "idx" {
		return stmt{}, fmt.Errorf("expected map[fd:N] or map[idx:N], found %q", t)
	}
	if err := p.expect(":"); err != nil {
		return stmt{}, err
	}
	v, err := p.imm32()
	if err != nil {
		return stmt{}, err
	}
	if err := p.expect("]"); err != nil {
		return stmt{}, err
	}
	src, valueSrc := PseudoMapFD, PseudoMapValue
	if t == "idx" {
		src, valueSrc = PseudoMapIdx, PseudoMapIdxValue
	} else if p.accept("[") {
		// map[fd:N][0]+OFF: bpftool's form for a direct value address.
		if !p.accept("0") || !p.accept("]") || (p.peek() != "+" && p.peek() != "-") {
			return stmt{}, fmt.Errorf("expected [0]+OFFSET after map[fd:%d]", v)
		}
	}
	if p.peek() != "+" && p.peek() != "-" {
		return ldImm64(dst, src, v, 0), nil
	}
	off, err := p.imm32()
	return ldImm64(dst, valueSrc, v, off), err
}

func parseBTFID(p *parser, dst Register) (stmt, error) {
	id, err := p.imm32()
	if err != nil {
		return stmt{}, err
	}
	if err := p.expect("]"); err != nil {
		return stmt{}, err
	}
	var fd int32
	if p.accept("[") {
		if err := p.expect("fd"); err != nil {
			return stmt{}, err
		}
		if err := p.expect(":"); err != nil {
			return stmt{}, err
		}
		if fd, err = p.imm32(); err != nil {
			return stmt{}, err
		}
		if err := p.expect("]"); err != nil {
			return stmt{}, err
		}
	}
	return ldImm64(dst, PseudoBTFID, id, fd), nil
}

// parseLoadAcquire parses "((u64 *)(r1 +0))" after "rN = load_acquire".
func parseLoadAcquire(p *parser, dst Register) (stmt, error) {
	if err := p.expect("("); err != nil {
		return stmt{}, err
	}
	m, err := p.unsignedRef()
	if err != nil {
		return stmt{}, err
	}
	in := Instruction{Opcode: Opcode(ClassSTX) | Opcode(ModeATOMIC) | Opcode(m.size), Dst: dst, Src: m.reg, Offset: m.off, Imm: AtomicLoadAcq}
	return one(in), p.expect(")")
}

// parseByteSwap parses "be16 r1", "le32 r1" and "bswap64 r1" after "r1 =".
func parseByteSwap(p *parser, dst Register) (stmt, bool, error) {
	t := p.peek()
	var op Opcode
	var width string
	switch {
	case strings.HasPrefix(t, "bswap"):
		op, width = Opcode(ClassALU64)|Opcode(ALUEnd), t[5:]
	case strings.HasPrefix(t, "be"):
		op, width = Opcode(ClassALU)|Opcode(ALUEnd)|Opcode(SourceX), t[2:]
	case strings.HasPrefix(t, "le"):
		op, width = Opcode(ClassALU)|Opcode(ALUEnd), t[2:]
	default:
		return stmt{}, false, nil
	}
	bits := map[string]int32{"16": 16, "32": 32, "64": 64}[width]
	if bits == 0 {
		return stmt{}, false, nil
	}
	p.next()
	return one(Instruction{Opcode: op, Dst: dst, Imm: bits}), true, p.sameReg(dst, "a byte swap")
}

var atomicFuncs = map[string]int32{
	"fetch_add": AtomicAdd | AtomicFetch, "fetch_and": AtomicAnd | AtomicFetch,
	"fetch_or": AtomicOr | AtomicFetch, "fetch_xor": AtomicXor | AtomicFetch,
	"xchg": AtomicXchg, "cmpxchg": AtomicCmpXchg,
}

// llvmAtomicFuncs are LLVM's names for exchanges, with their size.
var llvmAtomicFuncs = map[string]struct {
	op   int32
	size uint8
}{
	"xchg_64": {AtomicXchg, SizeDW}, "xchg32_32": {AtomicXchg, SizeW},
	"cmpxchg_64": {AtomicCmpXchg, SizeDW}, "cmpxchg32_32": {AtomicCmpXchg, SizeW},
}

// parseAtomicCall parses the function-call forms of the fetching atomics:
// the kernel's "atomic64_fetch_add((u64 *)(r1 +0), r2)",
// "atomic_xchg(...)", "atomic64_cmpxchg((u64 *)(r1 +0), r0, r2)" and LLVM's
// "xchg_64(r1 + 0, r2)", "xchg32_32(...)", "cmpxchg_64(r1 + 0, r0, r2)",
// "cmpxchg32_32(...)".
func parseAtomicCall(p *parser, dst Register, w32 bool) (stmt, bool, error) {
	name := p.peek()
	op, size, llvm := atomicFunc(name)
	if op < 0 {
		return stmt{}, false, nil
	}
	p.next()
	s, err := parseAtomicArgs(p, dst, op, size, llvm)
	return s, true, err
}

// atomicFunc decodes an atomic function name into its operation, its size
// (0 when the argument's type gives it) and whether it is an LLVM form.
func atomicFunc(name string) (op int32, size uint8, llvm bool) {
	if f, ok := llvmAtomicFuncs[name]; ok {
		return f.op, f.size, true
	}
	rest, ok := strings.CutPrefix(name, "atomic64_")
	if ok {
		size = SizeDW
	} else if rest, ok = strings.CutPrefix(name, "atomic_"); !ok {
		return -1, 0, false
	}
	if op, ok := atomicFuncs[rest]; ok {
		return op, size, false
	}
	return -1, 0, false
}

func parseAtomicArgs(p *parser, dst Register, op int32, size uint8, llvm bool) (stmt, error) {
	if err := p.expect("("); err != nil {
		return stmt{}, err
	}
	var m memRef
	var err error
	if llvm {
		m.size = size
		m.reg, m.off, err = p.memAddr()
	} else if m, err = p.unsignedRef(); err == nil && size == SizeDW && m.size != SizeDW {
		err = fmt.Errorf("atomic64_ functions take a u64 pointer")
	}
	if err != nil {
		return stmt{}, err
	}
	if err := p.expect(","); err != nil {
		return stmt{}, err
	}
	if op == AtomicCmpXchg {
		if err := p.r0Operand(dst); err != nil {
			return stmt{}, err
		}
	}
	src, _, err := p.kreg()
	if err != nil {
		return stmt{}, err
	}
	if op != AtomicCmpXchg && src != dst {
		return stmt{}, fmt.Errorf("the result register r%d must be the value register r%d", dst, src)
	}
	return one(Atomic(m.size, op, m.reg, src, m.off)), p.expect(")")
}

// r0Operand checks the "r0 = ...(addr, r0, src)" of a cmpxchg.
func (p *parser) r0Operand(dst Register) error {
	r, _, err := p.kreg()
	if err != nil {
		return err
	}
	if r != R0 || dst != R0 {
		return fmt.Errorf("cmpxchg compares with and writes r0")
	}
	return p.expect(",")
}
