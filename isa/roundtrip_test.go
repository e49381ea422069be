package isa

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// gen generates random valid instructions of every family.
type gen struct{ r *rand.Rand }

func (g gen) reg() Register { return Register(g.r.IntN(11)) }

func (g gen) pick(xs ...uint8) uint8 { return xs[g.r.IntN(len(xs))] }

// imm returns small values, edge values and arbitrary ones.
func (g gen) imm() int32 {
	switch g.r.IntN(4) {
	case 0:
		return int32(g.r.IntN(33)) - 16
	case 1:
		return []int32{math.MinInt32, math.MaxInt32, -1, 0, 1}[g.r.IntN(5)]
	}
	return int32(g.r.Uint32())
}

func (g gen) off() int16 {
	if g.r.IntN(2) == 0 {
		return int16(g.r.IntN(33)) - 16
	}
	return int16(g.r.Uint32())
}

func (g gen) size() uint8 { return g.pick(SizeB, SizeH, SizeW, SizeDW) }

func (g gen) aluClass() uint8 { return g.pick(alu, alu64) }

func (g gen) jmpClass() uint8 { return g.pick(jmp, jmp32) }

// families builds one instruction (or a ld_imm64 pair) of each kind.
var families = []func(g gen) []Instruction{
	func(g gen) []Instruction { // binary ALU, immediate or register
		o := g.pick(ALUAdd, ALUSub, ALUMul, ALUDiv, ALUOr, ALUAnd, ALULsh, ALURsh, ALUMod, ALUXor, ALUMov, ALUArsh)
		in := Instruction{Opcode: op(g.aluClass(), o), Dst: g.reg()}
		if g.r.IntN(2) == 0 {
			in.Opcode |= Opcode(SourceX)
			in.Src = g.reg()
		} else {
			in.Imm = g.imm()
		}
		if (o == ALUDiv || o == ALUMod) && g.r.IntN(2) == 0 {
			in.Offset = 1
		}
		return ins(in)
	},
	func(g gen) []Instruction { // neg
		return ins(Instruction{Opcode: op(g.aluClass(), ALUNeg), Dst: g.reg()})
	},
	func(g gen) []Instruction { // movsx
		cls, bits := alu64, int16(g.pick(8, 16, 32))
		if bits != 32 && g.r.IntN(2) == 0 {
			cls = alu
		}
		return ins(Instruction{Opcode: op(cls, ALUMov, SourceX), Dst: g.reg(), Src: g.reg(), Offset: bits})
	},
	func(g gen) []Instruction { // byte swaps
		o := op(g.pick(alu, alu64), ALUEnd)
		if o.Class() == ClassALU && g.r.IntN(2) == 0 {
			o |= Opcode(SourceX)
		}
		return ins(Instruction{Opcode: o, Dst: g.reg(), Imm: int32(g.pick(16, 32, 64))})
	},
	func(g gen) []Instruction { // conditional jumps
		o := g.pick(JmpJEQ, JmpJGT, JmpJGE, JmpJSET, JmpJNE, JmpJSGT, JmpJSGE, JmpJLT, JmpJLE, JmpJSLT, JmpJSLE)
		in := Instruction{Opcode: op(g.jmpClass(), o), Dst: g.reg(), Offset: g.off()}
		if g.r.IntN(2) == 0 {
			in.Opcode |= Opcode(SourceX)
			in.Src = g.reg()
		} else {
			in.Imm = g.imm()
		}
		return ins(in)
	},
	func(g gen) []Instruction { // goto, gotol, may_goto, exit
		return ins([]Instruction{
			Ja(g.off()),
			{Opcode: OpGotoL, Imm: g.imm()},
			{Opcode: OpMayGoto, Offset: g.off()},
			Exit(),
		}[g.r.IntN(4)])
	},
	func(g gen) []Instruction { // calls
		return ins([]Instruction{
			Call(g.imm()),
			Call(int32(g.r.IntN(220))),
			{Opcode: OpCall, Src: Register(CallLocal), Imm: g.imm()},
			{Opcode: OpCall, Src: Register(CallKfunc), Imm: g.imm(), Offset: g.off()},
			{Opcode: OpCallX, Dst: g.reg()},
		}[g.r.IntN(5)])
	},
	func(g gen) []Instruction { // loads
		in := LoadMem(g.size(), g.reg(), g.reg(), g.off())
		if in.Opcode.Size() != SizeDW && g.r.IntN(2) == 0 {
			in.Opcode = op(ldx, ModeMEMSX, in.Opcode.Size())
		}
		return ins(in)
	},
	func(g gen) []Instruction { // stores
		if g.r.IntN(2) == 0 {
			return ins(StoreImm(g.size(), g.reg(), g.off(), g.imm()))
		}
		return ins(StoreMem(g.size(), g.reg(), g.reg(), g.off()))
	},
	func(g gen) []Instruction { // read-modify-write atomics
		o := []int32{AtomicAdd, AtomicOr, AtomicAnd, AtomicXor, AtomicXchg, AtomicCmpXchg}[g.r.IntN(6)]
		if o <= AtomicXor && g.r.IntN(2) == 0 {
			o |= AtomicFetch
		}
		return ins(Atomic(g.pick(SizeW, SizeDW), o, g.reg(), g.reg(), g.off()))
	},
	func(g gen) []Instruction { // load-acquire, store-release
		o := []int32{AtomicLoadAcq, AtomicStoreRel}[g.r.IntN(2)]
		return ins(Atomic(g.size(), o, g.reg(), g.reg(), g.off()))
	},
	func(g gen) []Instruction { // legacy packet loads
		size := g.pick(SizeB, SizeH, SizeW)
		if g.r.IntN(2) == 0 {
			return ins(Instruction{Opcode: op(ld, ModeABS, size), Imm: g.imm()})
		}
		return ins(Instruction{Opcode: op(ld, ModeIND, size), Src: g.reg(), Imm: g.imm()})
	},
	func(g gen) []Instruction { // ld_imm64 with every pseudo source
		src := g.pick(PseudoNone, PseudoMapFD, PseudoMapValue, PseudoBTFID, PseudoFunc, PseudoMapIdx, PseudoMapIdxValue)
		hi := g.imm()
		if src == PseudoMapFD || src == PseudoMapIdx || src == PseudoFunc {
			hi = 0
		}
		return ld64(g.reg(), src, g.imm(), hi)
	},
}

// program returns n random valid instructions.
func (g gen) program(n int) []Instruction {
	var p []Instruction
	for range n {
		p = append(p, families[g.r.IntN(len(families))](g)...)
	}
	return p
}

func TestGeneratorIsValid(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(1, 2))}
	for range 10000 {
		in := families[g.r.IntN(len(families))](g)
		if err := CheckInstruction(in[0]); err != nil {
			t.Fatalf("generated invalid instruction %#v: %v", in[0], err)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(3, 4))}
	for range 1000 {
		p := g.program(1 + g.r.IntN(20))
		got, err := Decode(Encode(nil, p))
		if err != nil || !reflect.DeepEqual(got, p) {
			t.Fatalf("Decode(Encode(p)) = %v, %v; want %v", got, err, p)
		}
	}
}

func TestDisassembleAssembleRoundTrip(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(5, 6))}
	for range 2000 {
		p := g.program(1 + g.r.IntN(20))
		checkRoundTrip(t, p)
	}
}

// TestRandomBytesRoundTrip checks that any decoded program, valid or not,
// survives Disassemble and Assemble.
func TestRandomBytesRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		b := make([]byte, 8*(2+r.IntN(16)))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		if r.IntN(2) == 0 { // make ld_imm64 pairs likely
			b[0], b[8], b[9], b[10], b[11] = byte(OpLdImm64), 0, 0, 0, 0
		}
		p, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		checkRoundTrip(t, p)
	}
}

func checkRoundTrip(t *testing.T, p []Instruction) {
	t.Helper()
	text := Disassemble(p)
	got, err := Assemble(text)
	if err != nil {
		t.Fatalf("Assemble(Disassemble(p)): %v\n%s", err, text)
	}
	if !reflect.DeepEqual(got, p) {
		t.Fatalf("Assemble(Disassemble(p)) differs:\n%s\nre-assembled:\n%s", text, Disassemble(got))
	}
}
