// Package progen generates random eBPF programs that the Linux verifier
// accepts, for differential testing of ebpfvm against the kernel.
//
// A program is a BPF_PROG_TYPE_SYSCALL program: the kernel hands it a plain,
// writable copy of the ctx buffer given to BPF_PROG_TEST_RUN and copies the
// buffer back afterwards, so the buffer carries inputs in and the complete
// machine state out. The kernel's rules for such a ctx
// (syscall_prog_is_valid_access and bpf_prog_test_run_syscall): accesses
// through the unmodified ctx pointer at constant offsets, aligned to their
// size, below 65535; BPF_ST and atomics into ctx are refused; the buffer
// must be at least as long as the largest offset the program touches.
//
// The ctx buffer (CtxSize bytes) is laid out as
//
//	[0, 8*Inputs)            input words; the body loads from and stores to them
//	[RegsOffset, +72)        r0..r8 at exit, 8 bytes each (written by the epilogue)
//	[StackOffset, +8*Slots)  the used stack area at exit, lowest address first
//
// Every program is
//
//	prologue: r9 = r1 (ctx, never written again); r0..r8 = inputs or
//	          constants; every byte of the used stack area is initialised
//	body:     random straight-line code, if/else, forward skips and bounded
//	          loops, nested up to Config.MaxDepth
//	epilogue: r0..r8 and the stack area are stored into ctx; r0 is folded to
//	          32 bits (w0 = w0 ^ (r0 >> 32)) and returned
//
// Registers r0..r8 always hold scalars and r10 is only used as the base of
// stack accesses at constant offsets, so the verifier never sees pointer
// arithmetic, uninitialised reads or pointer leaks. Division and modulo by
// registers that may be zero, signed division of INT_MIN by -1, shifts by
// unmasked register amounts (the ISA masks them to the operand width) and
// every ALU, jump, memory and atomic opcode of ISA v4 appear.
package progen

import (
	"encoding/binary"
	"math/bits"

	"github.com/ebpfvm/ebpfvm/isa"
)

// Config controls the shape of generated programs. Zero fields take their
// defaults.
type Config struct {
	// Length is the number of body instructions to aim for (default 48).
	Length int
	// MaxDepth bounds the nesting of if/else blocks and loops (default 2).
	MaxDepth int
	// MaxLoopIters bounds each loop's trip count (default 6, at most 64).
	MaxLoopIters int
	// StackSlots is the number of 8-byte stack slots the body uses
	// (default 8, at most 64).
	StackSlots int
	// Inputs is the number of 8-byte input words at the start of ctx
	// (default 8, at most 256).
	Inputs int
	// NoLoops leaves out backward jumps.
	NoLoops bool
}

// DefaultConfig is the configuration the zero Config stands for.
var DefaultConfig = Config{Length: 48, MaxDepth: 2, MaxLoopIters: 6, StackSlots: 8, Inputs: 8}

func (c Config) withDefaults() Config {
	d := DefaultConfig
	if c.Length <= 0 {
		c.Length = d.Length
	}
	if c.MaxDepth <= 0 {
		c.MaxDepth = d.MaxDepth
	}
	if c.MaxLoopIters <= 0 {
		c.MaxLoopIters = d.MaxLoopIters
	}
	c.MaxLoopIters = min(c.MaxLoopIters, 64)
	if c.StackSlots <= 0 {
		c.StackSlots = d.StackSlots
	}
	c.StackSlots = min(c.StackSlots, 64)
	if c.Inputs <= 0 {
		c.Inputs = d.Inputs
	}
	c.Inputs = min(c.Inputs, 256)
	return c
}

// NumRegs is the number of registers the epilogue stores: r0..r8.
const NumRegs = 9

// ctxReg holds the ctx pointer for the whole program.
const ctxReg = isa.R9

// RegsOffset is where the epilogue stores r0..r8 in ctx.
func RegsOffset(cfg Config) int { return 8 * cfg.withDefaults().Inputs }

// StackOffset is where the epilogue stores the used stack area in ctx.
func StackOffset(cfg Config) int { return RegsOffset(cfg) + 8*NumRegs }

// CtxSize is the size of the ctx buffer the programs of cfg expect.
func CtxSize(cfg Config) int {
	c := cfg.withDefaults()
	return StackOffset(c) + 8*c.StackSlots
}

// rng is splitmix64: small, fast and ours, so that a seed names the same
// program in every Go version.
type rng struct{ s uint64 }

func (r *rng) u64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a number in [0, n).
func (r *rng) intn(n int) int { return int(r.u64() % uint64(n)) }

// chance is true with probability p/q.
func (r *rng) chance(p, q int) bool { return r.intn(q) < p }

// interesting64 are values at the edges of signed and unsigned ranges.
var interesting64 = []uint64{
	0, 1, 2, 3, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
	0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff,
	0x8000000000000000, 0xffffffffffffffff, 0xfffffffffffffffe,
	0xffffffff80000000, 0xffffffff7fffffff, 0x8000000080000000, 0x00ff00ff00ff00ff,
}

func (r *rng) value64() uint64 {
	switch r.intn(4) {
	case 0:
		return r.u64()
	case 1:
		return uint64(r.intn(64)) // small
	case 2:
		return -uint64(r.intn(64)) // small negative
	}
	return interesting64[r.intn(len(interesting64))]
}

var interesting32 = []int32{0, 1, -1, 2, -2, 3, 7, 8, 16, 31, 32, 63, 64, 0x7f, 0x80, 0xff,
	0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, -0x80000000, -0x7fffffff}

func (r *rng) imm() int32 {
	switch r.intn(3) {
	case 0:
		return int32(r.u64())
	case 1:
		return int32(r.intn(256)) - 128
	}
	return interesting32[r.intn(len(interesting32))]
}

// Input returns a ctx buffer for the programs of cfg, reproducible from
// seed: the input words hold edge values and random numbers, the output
// areas random bytes (the epilogue overwrites them).
func Input(seed int64, cfg Config) []byte {
	c := cfg.withDefaults()
	r := rng{s: uint64(seed) ^ 0x6a09e667f3bcc909}
	b := make([]byte, CtxSize(c))
	for i := 0; i+8 <= len(b); i += 8 {
		v := r.u64()
		if i < 8*c.Inputs {
			v = r.value64()
		}
		binary.LittleEndian.PutUint64(b[i:], v)
	}
	return b
}

// gen is the state of one program's generation.
type gen struct {
	r        rng
	cfg      Config
	budget   int    // body instructions still to emit
	reserved uint16 // registers that must not be written (loop counters)
	loops    int    // loops emitted so far
	mult     int    // product of the trip counts of the enclosing loops
	explode  int    // log2 of the verifier's path count, see ifElse
}

// maxExplode bounds the verifier's work on branches inside loops. The
// verifier walks a loop once per iteration, and while it does it rarely
// records the states that would let it prune at the join point of an
// if/else (is_state_visited adds no state while the loop head's state is
// still being explored, unless 20 jumps or 100 instructions have gone by),
// so every unpredictable branch inside a loop with n iterations doubles the
// work n times over. Each such branch costs the product of the enclosing
// trip counts; the sum stays below maxExplode.
const maxExplode = 10

// maxMult bounds the product of nested trip counts.
const maxMult = 64

// Generate returns the program for seed. The same seed and Config always
// give the same program.
func Generate(seed int64, cfg Config) []isa.Instruction {
	return GenerateProgram(seed, cfg).Insns
}

// Program is a generated program with the boundaries of its parts.
type Program struct {
	Insns []isa.Instruction
	// Body and Epilogue are the slot indexes where the body and the
	// epilogue start. A tool that edits the program (a minimizer) must
	// keep the prologue whole: without it registers would still hold the
	// ctx pointer and stack bytes would be uninitialised, which the
	// kernel lets root programs read and store, and whose values differ
	// between engines.
	Body, Epilogue int
}

// GenerateProgram is Generate with the parts' boundaries.
func GenerateProgram(seed int64, cfg Config) Program {
	g := &gen{r: rng{s: uint64(seed)}, cfg: cfg.withDefaults(), mult: 1}
	g.budget = g.cfg.Length
	out := g.prologue()
	body := len(out)
	for g.budget > 0 {
		out = append(out, g.block(0, g.budget)...)
	}
	epi := len(out)
	return Program{Insns: append(out, g.epilogue()...), Body: body, Epilogue: epi}
}

func (g *gen) prologue() []isa.Instruction {
	out := []isa.Instruction{isa.Mov64Reg(ctxReg, isa.R1)}
	for r := isa.R0; r <= isa.R8; r++ {
		switch g.r.intn(8) {
		case 0:
			out = append(out, isa.Mov64Imm(r, g.r.imm()))
		case 1:
			ld := isa.LoadImm64(r, g.r.value64())
			out = append(out, ld[:]...)
		default:
			out = append(out, isa.LoadMem(isa.SizeDW, r, ctxReg, int16(8*g.r.intn(g.cfg.Inputs))))
		}
	}
	base := -8 * g.cfg.StackSlots
	for s := 0; s < g.cfg.StackSlots; s++ {
		off := int16(base + 8*s)
		if s < atomicSlots(g.cfg) {
			// Two 4-byte stores: the second scrubs the verifier's
			// record of the first, leaving the slot STACK_MISC.
			first := isa.StoreImm(isa.SizeW, isa.R10, off, g.r.imm())
			if g.r.chance(1, 2) {
				first = isa.StoreMem(isa.SizeW, isa.R10, g.anyReg(), off)
			}
			out = append(out, first, isa.StoreImm(isa.SizeW, isa.R10, off+4, g.r.imm()))
			continue
		}
		switch g.r.intn(6) {
		case 0:
			out = append(out, isa.StoreImm(isa.SizeDW, isa.R10, off, g.r.imm()))
		case 1:
			out = append(out,
				isa.StoreImm(isa.SizeW, isa.R10, off, g.r.imm()),
				isa.StoreImm(isa.SizeW, isa.R10, off+4, g.r.imm()))
		case 2:
			out = append(out,
				isa.StoreMem(isa.SizeW, isa.R10, g.anyReg(), off),
				isa.StoreMem(isa.SizeH, isa.R10, g.anyReg(), off+4),
				isa.StoreMem(isa.SizeB, isa.R10, g.anyReg(), off+6),
				isa.StoreImm(isa.SizeB, isa.R10, off+7, g.r.imm()))
		default:
			out = append(out, isa.StoreMem(isa.SizeDW, isa.R10, g.anyReg(), off))
		}
	}
	return out
}

func (g *gen) epilogue() []isa.Instruction {
	var out []isa.Instruction
	regs := RegsOffset(g.cfg)
	for r := isa.R0; r <= isa.R8; r++ {
		out = append(out, isa.StoreMem(isa.SizeDW, ctxReg, r, int16(regs+8*int(r))))
	}
	stack := StackOffset(g.cfg)
	base := -8 * g.cfg.StackSlots
	for s := 0; s < g.cfg.StackSlots; s++ {
		out = append(out,
			isa.LoadMem(isa.SizeDW, isa.R1, isa.R10, int16(base+8*s)),
			isa.StoreMem(isa.SizeDW, ctxReg, isa.R1, int16(stack+8*s)))
	}
	return append(out,
		isa.Mov64Reg(isa.R1, isa.R0),
		isa.ALU64Imm(isa.ALURsh, isa.R1, 32),
		isa.ALU32Reg(isa.ALUXor, isa.R0, isa.R1),
		isa.Exit())
}

// anyReg is a register that may be read: r0..r8.
func (g *gen) anyReg() isa.Register { return isa.Register(g.r.intn(NumRegs)) }

// dstReg is a register that may be written: r0..r8 less the loop counters.
func (g *gen) dstReg() isa.Register {
	for {
		r := isa.Register(g.r.intn(NumRegs))
		if g.reserved&(1<<r) == 0 {
			return r
		}
	}
}

// block emits about n body instructions at nesting depth depth.
func (g *gen) block(depth, n int) []isa.Instruction {
	var out []isa.Instruction
	for emitted := 0; emitted < n && g.budget > 0; {
		before := g.budget
		k := g.r.intn(100)
		switch {
		case k < 10 && depth < g.cfg.MaxDepth && g.canBranch():
			out = append(out, g.ifElse(depth)...)
		case k < 15 && depth < g.cfg.MaxDepth && !g.cfg.NoLoops && g.canLoop():
			out = append(out, g.loop(depth)...)
		default:
			out = append(out, g.simple()...)
			g.budget--
		}
		emitted += before - g.budget
	}
	return out
}

// subSize picks the size of a nested block.
func (g *gen) subSize() int { return 1 + g.r.intn(min(max(g.budget, 1), 10)) }

// canBranch reports whether an unpredictable branch fits in the verifier's
// budget, and charges it.
func (g *gen) canBranch() bool {
	if g.mult == 1 {
		return true
	}
	if g.explode+g.mult > maxExplode {
		return false
	}
	g.explode += g.mult
	return true
}

func (g *gen) ifElse(depth int) []isa.Instruction {
	then := g.block(depth+1, g.subSize())
	var els []isa.Instruction
	if g.r.chance(1, 2) {
		els = g.block(depth+1, g.subSize())
	}
	if len(then) == 0 {
		then = g.simple()
	}
	// if cond goto else; then; goto end; else: ...; end:
	skip := len(then)
	if len(els) > 0 {
		skip++
	}
	out := []isa.Instruction{g.cond(int16(skip))}
	out = append(out, then...)
	if len(els) > 0 {
		if g.r.chance(1, 4) {
			// gotol: JMP32|JA, offset in imm.
			out = append(out, isa.Instruction{Opcode: isa.OpGotoL, Imm: int32(len(els))})
		} else {
			out = append(out, isa.Ja(int16(len(els))))
		}
		out = append(out, els...)
	}
	return out
}

// cond is a random conditional jump by off.
func (g *gen) cond(off int16) isa.Instruction {
	ops := [...]uint8{isa.JmpJEQ, isa.JmpJGT, isa.JmpJGE, isa.JmpJSET, isa.JmpJNE, isa.JmpJSGT,
		isa.JmpJSGE, isa.JmpJLT, isa.JmpJLE, isa.JmpJSLT, isa.JmpJSLE}
	op := ops[g.r.intn(len(ops))]
	// Loop counters stay out of conditions: a branch refines its operand's
	// range, and an imprecise refinement (as for JSET) can undo what the
	// loop's decrement taught the verifier, which then sees the same state
	// at the loop head again and reports an infinite loop.
	var in isa.Instruction
	if g.r.chance(1, 2) {
		in = isa.JumpImm(op, g.dstReg(), g.r.imm(), off)
	} else {
		in = isa.JumpReg(op, g.dstReg(), g.dstReg(), off)
	}
	if g.r.chance(1, 3) {
		in.Opcode = in.Opcode&^0x07 | isa.Opcode(isa.ClassJMP32)
	}
	return in
}

// canLoop reports whether a loop counter register is free: at most two
// loops are live at once and r0 (written by cmpxchg) is never a counter.
func (g *gen) canLoop() bool {
	n := 0
	for r := isa.R1; r <= isa.R8; r++ {
		if g.reserved&(1<<r) != 0 {
			n++
		}
	}
	return n < 2 && g.loops < 4 && g.mult*2 <= maxMult
}

func (g *gen) loop(depth int) []isa.Instruction {
	g.loops++
	var c isa.Register
	for {
		c = isa.Register(1 + g.r.intn(8))
		if g.reserved&(1<<c) == 0 {
			break
		}
	}
	n := 1 + g.r.intn(min(g.cfg.MaxLoopIters, maxMult/g.mult))
	alu := isa.ClassALU64
	jmp := isa.ClassJMP
	if g.r.chance(1, 3) {
		alu = isa.ClassALU
	}
	if g.r.chance(1, 3) {
		jmp = isa.ClassJMP32
	}
	aluImm := func(op uint8, imm int32) isa.Instruction {
		return isa.Instruction{Opcode: isa.Opcode(alu) | isa.Opcode(op), Dst: c, Imm: imm}
	}
	jmpImm := func(op uint8, imm int32) isa.Instruction {
		return isa.Instruction{Opcode: isa.Opcode(jmp) | isa.Opcode(op), Dst: c, Imm: imm}
	}
	var init, step []isa.Instruction
	var back isa.Instruction
	switch g.r.intn(4) {
	case 0: // count down to zero
		init = []isa.Instruction{isa.Mov64Imm(c, int32(n))}
		if g.r.chance(1, 2) {
			step = []isa.Instruction{aluImm(isa.ALUSub, 1)}
		} else {
			step = []isa.Instruction{aluImm(isa.ALUAdd, -1)}
		}
		back = jmpImm([...]uint8{isa.JmpJNE, isa.JmpJSGT, isa.JmpJGT}[g.r.intn(3)], 0)
	case 1: // count up to n
		init = []isa.Instruction{isa.Mov64Imm(c, 0)}
		step = []isa.Instruction{aluImm(isa.ALUAdd, 1)}
		back = jmpImm([...]uint8{isa.JmpJNE, isa.JmpJSLT, isa.JmpJLT}[g.r.intn(3)], int32(n))
	case 2: // count down in steps of k
		k := int32(2 + g.r.intn(5))
		init = []isa.Instruction{isa.Mov64Imm(c, int32(n)*k)}
		step = []isa.Instruction{aluImm(isa.ALUSub, k)}
		back = jmpImm([...]uint8{isa.JmpJNE, isa.JmpJSGT}[g.r.intn(2)], 0)
	default: // a trip count read from the input, masked to a small range
		mask := int32(1)
		for mask*2+1 <= int32(g.cfg.MaxLoopIters) && int(mask*2+2)*g.mult <= maxMult {
			mask = mask*2 + 1
		}
		// The exit test is unpredictable: the verifier follows one path
		// out of the loop per possible count, in each iteration of the
		// enclosing loops. Charge log2(mask+1) branches for it.
		if g.mult > 1 {
			for mask > 0 && g.explode+g.mult*bits.Len32(uint32(mask)) > maxExplode {
				mask >>= 1
			}
			g.explode += g.mult * bits.Len32(uint32(mask))
		}
		n = int(mask) + 1
		if alu == isa.ClassALU {
			// A zero count goes to -1: the signed test must see the
			// same width as the subtraction.
			jmp = isa.ClassJMP32
		}
		init = []isa.Instruction{
			isa.LoadMem([...]uint8{isa.SizeB, isa.SizeH, isa.SizeW, isa.SizeDW}[g.r.intn(4)], c, ctxReg, 0),
			isa.ALU64Imm(isa.ALUAnd, c, mask),
		}
		init[0].Offset = int16(8 * g.r.intn(g.cfg.Inputs))
		step = []isa.Instruction{aluImm(isa.ALUSub, 1)}
		back = jmpImm(isa.JmpJSGT, 0)
	}
	g.reserved |= 1 << c
	outer := g.mult
	g.mult *= n
	body := g.block(depth+1, g.subSize())
	if len(body) == 0 {
		body = g.simple()
	}
	g.mult = outer
	g.reserved &^= 1 << c
	out := append(init, body...)
	out = append(out, step...)
	back.Offset = int16(-(len(body) + len(step) + 1))
	return append(out, back)
}

var aluOps = [...]uint8{isa.ALUAdd, isa.ALUSub, isa.ALUMul, isa.ALUDiv, isa.ALUOr, isa.ALUAnd,
	isa.ALULsh, isa.ALURsh, isa.ALUNeg, isa.ALUMod, isa.ALUXor, isa.ALUMov, isa.ALUArsh}

// simple emits one straight-line instruction (two slots for ld_imm64, a
// mask and a shift for masked shifts).
func (g *gen) simple() []isa.Instruction {
	switch k := g.r.intn(100); {
	case k < 22:
		return g.aluImm()
	case k < 46:
		return g.aluReg()
	case k < 50:
		return g.movsx()
	case k < 54:
		return g.endian()
	case k < 57:
		ld := isa.LoadImm64(g.dstReg(), g.r.value64())
		return ld[:]
	case k < 65:
		return g.stackStore()
	case k < 75:
		return g.stackLoad()
	case k < 82:
		return g.ctxLoad()
	case k < 86:
		return g.ctxStore()
	default:
		return g.atomic()
	}
}

func (g *gen) aluClass() isa.Class {
	if g.r.chance(1, 2) {
		return isa.ClassALU
	}
	return isa.ClassALU64
}

func (g *gen) aluImm() []isa.Instruction {
	class := g.aluClass()
	op := aluOps[g.r.intn(len(aluOps))]
	in := isa.Instruction{Opcode: isa.Opcode(class) | isa.Opcode(op) | isa.Opcode(isa.SourceK), Dst: g.dstReg(), Imm: g.r.imm()}
	width := int32(64)
	if class == isa.ClassALU {
		width = 32
	}
	switch op {
	case isa.ALUNeg:
		in.Imm = 0
	case isa.ALULsh, isa.ALURsh, isa.ALUArsh:
		in.Imm = int32(g.r.intn(int(width)))
	case isa.ALUDiv, isa.ALUMod:
		for in.Imm == 0 {
			in.Imm = g.r.imm()
		}
		if g.r.chance(1, 2) {
			in.Offset = 1 // sdiv, smod
		}
	}
	return []isa.Instruction{in}
}

func (g *gen) aluReg() []isa.Instruction {
	class := g.aluClass()
	op := aluOps[g.r.intn(len(aluOps))]
	if op == isa.ALUNeg {
		op = isa.ALUSub
	}
	in := isa.Instruction{Opcode: isa.Opcode(class) | isa.Opcode(op) | isa.Opcode(isa.SourceX), Dst: g.dstReg(), Src: g.anyReg()}
	switch op {
	case isa.ALUDiv, isa.ALUMod:
		if g.r.chance(1, 2) {
			in.Offset = 1
		}
	case isa.ALULsh, isa.ALURsh, isa.ALUArsh:
		if g.r.chance(1, 2) {
			// Mask the amount first; otherwise the ISA's own masking
			// (to 63 or 31) applies.
			m := g.dstReg()
			width := int32(63)
			if class == isa.ClassALU {
				width = 31
			}
			in.Src = m
			return []isa.Instruction{isa.ALU64Imm(isa.ALUAnd, m, width), in}
		}
	}
	return []isa.Instruction{in}
}

func (g *gen) movsx() []isa.Instruction {
	class := g.aluClass()
	in := isa.Instruction{Opcode: isa.Opcode(class) | isa.Opcode(isa.ALUMov) | isa.Opcode(isa.SourceX), Dst: g.dstReg(), Src: g.anyReg()}
	if class == isa.ClassALU64 {
		in.Offset = [...]int16{8, 16, 32}[g.r.intn(3)]
	} else {
		in.Offset = [...]int16{8, 16}[g.r.intn(2)]
	}
	return []isa.Instruction{in}
}

func (g *gen) endian() []isa.Instruction {
	in := isa.Instruction{Dst: g.dstReg(), Imm: [...]int32{16, 32, 64}[g.r.intn(3)]}
	switch g.r.intn(3) {
	case 0: // bswap (ISA v4)
		in.Opcode = isa.Opcode(isa.ClassALU64) | isa.Opcode(isa.ALUEnd) | isa.Opcode(isa.SourceK)
	case 1: // le
		in.Opcode = isa.Opcode(isa.ClassALU) | isa.Opcode(isa.ALUEnd) | isa.Opcode(isa.SourceK)
	default: // be
		in.Opcode = isa.Opcode(isa.ClassALU) | isa.Opcode(isa.ALUEnd) | isa.Opcode(isa.SourceX)
	}
	return []isa.Instruction{in}
}

var sizes = [...]uint8{isa.SizeB, isa.SizeH, isa.SizeW, isa.SizeDW}

// atomicSlots is the number of stack slots, at the bottom of the used area,
// that only atomics write (and any load reads). They work around a kernel
// bug: the verifier's precision backtracking (backtrack_insn) treats an
// atomic fetch, xchg or cmpxchg on the stack as a store only, so when the
// slot held a spilled scalar the verifier knew, and the loaded value later
// decides a branch, the slot is not marked precise, a path is pruned as
// "safe" that is not, and the branch is hard-wired the wrong way (seen on
// 6.18). Slots that hold no spilled register (STACK_MISC) give the fetch an
// unknown value, which decides nothing.
func atomicSlots(cfg Config) int { return cfg.StackSlots / 4 }

// stackOff is a random offset from r10, aligned for an access of n bytes,
// inside the used stack area.
func (g *gen) stackOff(n int) int16 {
	area := 8 * g.cfg.StackSlots
	return int16(-area + n*g.r.intn(area/n))
}

// storeOff is stackOff for plain stores: above the atomic slots.
func (g *gen) storeOff(n int) int16 {
	area := 8 * (g.cfg.StackSlots - atomicSlots(g.cfg))
	return int16(-area + n*g.r.intn(area/n))
}

// atomicOff is stackOff for atomics: inside the atomic slots.
func (g *gen) atomicOff(n int) int16 {
	area := 8 * atomicSlots(g.cfg)
	return int16(-8*g.cfg.StackSlots + n*g.r.intn(area/n))
}

// ctxOff is a random offset into the input words, aligned for n bytes.
func (g *gen) ctxOff(n int) int16 {
	area := 8 * g.cfg.Inputs
	return int16(n * g.r.intn(area/n))
}

func (g *gen) stackStore() []isa.Instruction {
	size := sizes[g.r.intn(len(sizes))]
	off := g.storeOff(isa.SizeBytes(size))
	if g.r.chance(1, 3) {
		return []isa.Instruction{isa.StoreImm(size, isa.R10, off, g.r.imm())}
	}
	return []isa.Instruction{isa.StoreMem(size, isa.R10, g.anyReg(), off)}
}

func (g *gen) stackLoad() []isa.Instruction {
	size := sizes[g.r.intn(len(sizes))]
	in := isa.LoadMem(size, g.dstReg(), isa.R10, g.stackOff(isa.SizeBytes(size)))
	if size != isa.SizeDW && g.r.chance(1, 2) {
		in.Opcode = in.Opcode&^0xe0 | isa.Opcode(isa.ModeMEMSX)
	}
	return []isa.Instruction{in}
}

func (g *gen) ctxLoad() []isa.Instruction {
	size := sizes[g.r.intn(len(sizes))]
	return []isa.Instruction{isa.LoadMem(size, g.dstReg(), ctxReg, g.ctxOff(isa.SizeBytes(size)))}
}

func (g *gen) ctxStore() []isa.Instruction {
	size := sizes[g.r.intn(len(sizes))]
	return []isa.Instruction{isa.StoreMem(size, ctxReg, g.anyReg(), g.ctxOff(isa.SizeBytes(size)))}
}

func (g *gen) atomic() []isa.Instruction {
	if atomicSlots(g.cfg) == 0 {
		return g.stackStore()
	}
	size := isa.SizeDW
	if g.r.chance(1, 2) {
		size = isa.SizeW
	}
	off := g.atomicOff(isa.SizeBytes(size))
	ops := [...]int32{isa.AtomicAdd, isa.AtomicOr, isa.AtomicAnd, isa.AtomicXor}
	var op int32
	switch k := g.r.intn(10); {
	case k < 4:
		op = ops[g.r.intn(len(ops))]
	case k < 8:
		op = ops[g.r.intn(len(ops))] | isa.AtomicFetch
	case k < 9:
		op = isa.AtomicXchg
	default:
		op = isa.AtomicCmpXchg
	}
	src := g.anyReg()
	if op&isa.AtomicFetch != 0 && op != isa.AtomicCmpXchg {
		src = g.dstReg() // the old value is loaded into src
	}
	in := isa.Atomic(size, op, isa.R10, src, off)
	if op == isa.AtomicCmpXchg && size == isa.SizeW {
		// Work around a kernel bug: the x86-64 JIT's 32-bit cmpxchg
		// leaves r0's upper half alone when the comparison succeeds,
		// and the verifier inserts the zero-extension the ISA requires
		// only where it sees a 64-bit read of r0, which state pruning
		// can hide (seen on 6.18). An explicit w0 = w0 makes the kernel
		// agree with the ISA; ebpfvm zero-extends either way.
		return []isa.Instruction{in, isa.ALU32Reg(isa.ALUMov, isa.R0, isa.R0)}
	}
	return []isa.Instruction{in}
}
