package isa

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SyntaxError is an assembler error on one line of the source.
type SyntaxError struct {
	Line int // 1-based line number
	Msg  string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// Assemble translates assembly source into instruction slots. Each line
// holds at most one instruction, in either of two syntaxes, which may be
// mixed freely:
//
//   - the kernel/LLVM syntax that Disassemble and the verifier log print
//     ("r0 = *(u32 *)(r1 +4)", "if w1 > 0x7d0 goto pc+5", "call bpf_ktime_get_ns#5"),
//     including LLVM's variants ("goto +5", "r1 = xchg_64(r10 - 8, r1)",
//     "w0 = cmpxchg32_32(r1 + 0, w0, w2)", "w1 = *(u32 *)(r2 + 0)");
//   - the uBPF syntax of the bpf_conformance suite ("mov32 %r0, 1",
//     "ldxw %r1, [%r1+16]", "jeq %r1, 5, label", "lock fetch add [%r10-8], %r1",
//     "call local f", "call %r2", "lddw %r0, 0x1122334455667788").
//
// "#" (at the start of a line or after a blank), "//" and ";" start
// comments. "name:" defines a label at the next instruction; jumps, gotol,
// may_goto and local calls take a label or a numeric offset ("+3", "-2",
// "pc+3"). "call name" is a local call when name is a label and a helper
// call when it is a helper name ("call bpf_trace_printk" or
// "call trace_printk"); "call local name" is always local. As in the uBPF
// assembler, "exit" names the first exit instruction unless a label of
// that name exists. A leading "12:" slot index and "(b7)" opcode, as in
// the verifier log and Disassemble, are accepted; the opcode must match.
//
// Numbers are decimal or 0x hexadecimal, optionally negative. A 32-bit
// immediate takes a decimal in [-2^31, 2^31) or a hexadecimal up to
// 0xffffffff (the bit pattern); a 16-bit offset likewise takes up to
// 0x7fff decimal or 0xffff hexadecimal. A 64-bit immediate ("lddw",
// "r1 = N ll") takes any signed or unsigned 64-bit value.
//
// ".insn op=0x07 dst=1 src=0 off=0 imm=5" emits one raw slot. The result
// need not pass Validate; a ld_imm64 always occupies two slots.
func Assemble(src string) ([]Instruction, error) {
	a := &assembler{labels: map[string]label{}, firstExit: -1}
	for n, text := range strings.Split(src, "\n") {
		a.lineNo = n + 1
		if err := a.line(text); err != nil {
			return nil, &SyntaxError{Line: a.lineNo, Msg: err.Error()}
		}
	}
	if err := a.resolve(); err != nil {
		return nil, err
	}
	return a.insns, nil
}

type label struct {
	slot int
	line int
}

// fixupKind says where a resolved label goes.
type fixupKind int

const (
	fixOffset fixupKind = iota // jump offset field
	fixImm                     // imm field (gotol, local call, subprog)
	fixCall                    // local call to a label, or a helper by name
)

type fixup struct {
	slot int
	line int
	name string
	kind fixupKind
}

type assembler struct {
	insns     []Instruction
	labels    map[string]label
	fixups    []fixup
	firstExit int
	lineNo    int // current line, 1-based
}

// stmt is what one line assembles to.
type stmt struct {
	insns []Instruction
	ref   string // label or name to resolve, if any
	kind  fixupKind
}

func (a *assembler) line(text string) error {
	toks, err := lex(stripComment(text))
	if err != nil {
		return err
	}
	p := &parser{toks: toks}
	op, err := a.prefixes(p)
	if err != nil || p.done() {
		if err == nil && op >= 0 {
			err = fmt.Errorf("opcode annotation (%02x) without an instruction", op)
		}
		return err
	}
	s, err := parseStatement(p)
	if err != nil {
		return err
	}
	if !p.done() {
		return fmt.Errorf("unexpected %q after instruction", p.peek())
	}
	if op >= 0 && int(s.insns[0].Opcode) != op {
		return fmt.Errorf("opcode annotation (%02x) does not match the instruction's opcode (%02x)", op, uint8(s.insns[0].Opcode))
	}
	a.emit(s)
	return nil
}

// prefixes consumes a leading slot index ("12:"), labels ("name:") and an
// opcode annotation ("(b7)"). It returns the annotated opcode or -1.
func (a *assembler) prefixes(p *parser) (int, error) {
	if isNumber(p.peek()) && p.peekAt(1) == ":" {
		p.pos += 2
	}
	for isLabelName(p.peek()) && p.peekAt(1) == ":" {
		name := p.next()
		p.next()
		if prev, dup := a.labels[name]; dup {
			return -1, fmt.Errorf("label %q already defined on line %d", name, prev.line)
		}
		a.labels[name] = label{slot: len(a.insns), line: a.lineNo}
	}
	if p.peek() != "(" || p.peekAt(2) != ")" {
		return -1, nil
	}
	v, err := strconv.ParseUint(p.peekAt(1), 16, 8)
	if err != nil {
		return -1, fmt.Errorf("bad opcode annotation %q", p.peekAt(1))
	}
	p.pos += 3
	return int(v), nil
}

func (a *assembler) emit(s stmt) {
	slot := len(a.insns)
	if s.ref != "" {
		a.fixups = append(a.fixups, fixup{slot: slot, line: a.lineNo, name: s.ref, kind: s.kind})
	}
	if a.firstExit < 0 && s.insns[0].Opcode == OpExit {
		a.firstExit = slot
	}
	a.insns = append(a.insns, s.insns...)
}

// resolve fills in label references.
func (a *assembler) resolve() error {
	if _, ok := a.labels["exit"]; !ok && a.firstExit >= 0 {
		a.labels["exit"] = label{slot: a.firstExit}
	}
	for _, f := range a.fixups {
		if err := a.fix(f); err != nil {
			return &SyntaxError{Line: f.line, Msg: err.Error()}
		}
	}
	return nil
}

func (a *assembler) fix(f fixup) error {
	in := &a.insns[f.slot]
	l, ok := a.labels[f.name]
	if !ok {
		if f.kind != fixCall {
			return fmt.Errorf("undefined label %q", f.name)
		}
		id, ok := HelperID(f.name)
		if !ok {
			return fmt.Errorf("%q is neither a label nor a helper function", f.name)
		}
		in.Imm = id
		return nil
	}
	delta := l.slot - f.slot - 1
	switch f.kind {
	case fixOffset:
		if delta < math.MinInt16 || delta > math.MaxInt16 {
			return fmt.Errorf("jump to label %q is out of range (offset %d does not fit 16 bits)", f.name, delta)
		}
		in.Offset = int16(delta)
	case fixCall:
		in.Src = Register(CallLocal)
		fallthrough
	default:
		if delta < math.MinInt32 || delta > math.MaxInt32 {
			return fmt.Errorf("label %q is out of range", f.name)
		}
		in.Imm = int32(delta)
	}
	return nil
}

// parseStatement dispatches on the first token to the kernel or uBPF
// syntax.
func parseStatement(p *parser) (stmt, error) {
	switch t := p.peek(); {
	case t == ".insn":
		p.next()
		return parseRaw(p)
	case t == "call":
		p.next()
		return parseCall(p)
	case t == "lock" && p.peekAt(1) != "*":
		p.next()
		return parseUBPFAtomic(p)
	case kernelKeywords[t] || isKernelReg(t) || t == "*":
		return parseKernel(p)
	case isLabelName(t):
		return parseUBPF(p)
	}
	return stmt{}, fmt.Errorf("expected an instruction, found %s", p.describe())
}

var kernelKeywords = map[string]bool{
	"if": true, "goto": true, "gotol": true, "may_goto": true, "callx": true,
	"exit": true, "lock": true, "store_release": true,
}

// isKernelReg reports whether t looks like a kernel-syntax register, rN or
// wN (valid or not, so that "r11" is reported as an unknown register).
func isKernelReg(t string) bool {
	if len(t) < 2 || (t[0] != 'r' && t[0] != 'w') {
		return false
	}
	for i := 1; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	return true
}

func one(in Instruction) stmt { return stmt{insns: []Instruction{in}} }

func ldImm64(dst Register, src uint8, lo, hi int32) stmt {
	return stmt{insns: []Instruction{
		{Opcode: OpLdImm64, Dst: dst, Src: Register(src), Imm: lo},
		{Imm: hi},
	}}
}

// parseRaw parses ".insn op=N dst=N src=N off=N imm=N" (any order, missing
// fields zero).
func parseRaw(p *parser) (stmt, error) {
	var in Instruction
	seen := map[string]bool{}
	for !p.done() {
		field := p.next()
		if seen[field] {
			return stmt{}, fmt.Errorf("field %q given twice", field)
		}
		seen[field] = true
		if err := p.expect("="); err != nil {
			return stmt{}, err
		}
		if err := p.rawField(&in, field); err != nil {
			return stmt{}, err
		}
	}
	return one(in), nil
}

func (p *parser) rawField(in *Instruction, field string) error {
	switch field {
	case "off":
		v, err := p.off16()
		in.Offset = v
		return err
	case "imm":
		v, err := p.imm32()
		in.Imm = v
		return err
	}
	limit := map[string]uint64{"op": 0xff, "dst": 15, "src": 15}[field]
	if limit == 0 {
		return fmt.Errorf("unknown .insn field %q (want op, dst, src, off or imm)", field)
	}
	n, err := p.num()
	if err != nil {
		return err
	}
	if n.neg || n.mag > limit {
		return fmt.Errorf(".insn %s=%s is out of range [0, %d]", field, n, limit)
	}
	switch field {
	case "op":
		in.Opcode = Opcode(n.mag)
	case "dst":
		in.Dst = Register(n.mag)
	default:
		in.Src = Register(n.mag)
	}
	return nil
}

// parseCall parses the operands of "call" in either syntax.
func parseCall(p *parser) (stmt, error) {
	s := one(Instruction{Opcode: OpCall})
	in := &s.insns[0]
	switch t := p.peek(); {
	case t == "%":
		r, err := p.ubpfReg()
		*in = Instruction{Opcode: OpCallX, Dst: r}
		return s, err
	case t == "local":
		p.next()
		in.Src = Register(CallLocal)
		return s, p.immTarget(&s, fixImm)
	case t == "helper":
		p.next()
		if p.peek() == "%" {
			return parseCall(p)
		}
		v, err := p.imm32()
		in.Imm = v
		return s, err
	case t == "runtime":
		p.next()
		v, err := p.imm32()
		in.Src, in.Imm = Register(CallKfunc), v
		return s, err
	case t == "pc":
		in.Src = Register(CallLocal)
		return s, p.immTarget(&s, fixImm)
	case p.atNumber():
		v, err := p.imm32()
		in.Imm = v
		return s, err
	case t == "kernel" && p.peekAt(1) == "-" && p.peekAt(2) == "function":
		p.pos += 3
		return s, p.kfuncCall(in)
	case isLabelName(t):
		p.next()
		if p.peek() == "#" {
			return s, p.namedCall(in, t)
		}
		s.ref, s.kind = t, fixCall
		return s, nil
	}
	return s, fmt.Errorf("expected a call target, found %s", p.describe())
}

// kfuncCall parses "#ID [off=N]" after "call kernel-function".
func (p *parser) kfuncCall(in *Instruction) error {
	if err := p.expect("#"); err != nil {
		return err
	}
	v, err := p.imm32()
	if err != nil {
		return err
	}
	in.Src, in.Imm = Register(CallKfunc), v
	if p.accept("off") {
		if err := p.expect("="); err != nil {
			return err
		}
		in.Offset, err = p.off16()
	}
	return err
}

// namedCall parses "#ID" after "call NAME", as the verifier log prints
// helpers ("bpf_map_lookup_elem#1", "unknown#300") and kfuncs (any other
// name).
func (p *parser) namedCall(in *Instruction, name string) error {
	p.next()
	v, err := p.imm32()
	if err != nil {
		return err
	}
	in.Imm = v
	if id, ok := HelperID(name); ok && strings.HasPrefix(name, "bpf_") {
		if id != v {
			return fmt.Errorf("helper %s has ID %d, not %d", name, id, v)
		}
		return nil
	}
	if name != "unknown" {
		in.Src = Register(CallKfunc)
	}
	return nil
}
