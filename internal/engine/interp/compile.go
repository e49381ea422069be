package interp

import (
	"fmt"

	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// inst is one decoded instruction: 16 bytes, indexed like the raw slots so
// that a run-time error names the kernel's instruction index.
type inst struct {
	op  uint8
	dst uint8
	src uint8
	aux uint8 // access size in bytes for acquire/release and legacy loads
	off int32 // memory offset, or absolute branch target
	imm int64 // sign-extended immediate, 64-bit constant, or helper index
}

// Code is a decoded program, ready to run. It is immutable and may be shared
// by any number of concurrent runs.
type Code struct {
	insns     []inst
	raw       []isa.Instruction
	helpers   []vm.HelperFunc // call targets of opCallHelper and opCallKfunc
	names     []string        // helper names, for error messages
	callbacks []bool          // instructions that ld_imm64 of a function names
	// checked: the program was not verified, so its loads, stores and
	// atomics are tested against the region table. A run that enters
	// checked code stays checked until it ends (see Machine.RunRepeat).
	checked bool
}

// funcHandleBase tags function handles, the values that ld_imm64 with
// BPF_PSEUDO_FUNC loads (the kernel loads the subprogram's address). They
// lie in the non-canonical/kernel half of the address space, so no program
// can mistake one for memory; helpers turn them back into instruction
// indexes with Code.callbackPC.
const funcHandleBase = 0xffff_a000_0000_0000

func (c *Code) callbackPC(fn uint64) (int, bool) {
	if fn < funcHandleBase || fn-funcHandleBase >= uint64(len(c.callbacks)) {
		return 0, false
	}
	pc := int(fn - funcHandleBase)
	return pc, c.callbacks[pc]
}

// Len returns the number of instruction slots.
func (c *Code) Len() int { return len(c.insns) }

// Checked reports whether the code runs in checked mode: every load, store
// and atomic tested against the region table. Code from Compile does;
// code from CompileVerified does not.
func (c *Code) Checked() bool { return c.checked }

// Compile validates the program's structure (isa.Validate) and decodes it.
// Helper and kfunc calls are bound to funcs from h here, so that a call at
// run time is an indexed load, and an unknown helper is an error before the
// program ever runs. The code runs in checked mode.
func Compile(insns []isa.Instruction, h *vm.Helpers) (*Code, error) {
	return compile(insns, h, true)
}

// CompileVerified is Compile for a program the verifier accepted, with
// the maps, context and helpers it will run with: its loads, stores and
// atomics run without checks. Helpers still check the memory they are
// given (Env.Bytes), and a run that tail-calls checked code switches to
// checked mode for the rest of the run.
//
// facts are what the verifier found that changes how the program runs.
func CompileVerified(insns []isa.Instruction, h *vm.Helpers, facts vm.Facts) (*Code, error) {
	c, err := compile(insns, h, false)
	if err != nil {
		return nil, err
	}
	for _, site := range facts.InlinedLoops {
		if site < 0 || site >= len(insns) || c.insns[site].op != opCallHelper || insns[site].Imm != vm.LoopHelperID {
			return nil, fmt.Errorf("instruction %d is not a bpf_loop call the verifier could inline", site)
		}
		c.insns[site].op = opLoopInline
	}
	return c, nil
}

func compile(insns []isa.Instruction, h *vm.Helpers, checked bool) (*Code, error) {
	if err := isa.Validate(insns); err != nil {
		return nil, err
	}
	c := &Code{insns: make([]inst, len(insns)), raw: insns, checked: checked}
	for i := 0; i < len(insns); i++ {
		in := insns[i]
		d, err := c.decode(in, i, h)
		if err != nil {
			return nil, &isa.Error{Index: i, Insn: in, Reason: err.Error()}
		}
		if in.IsLoadImm64() {
			d.imm = int64(isa.Imm64(in, insns[i+1]))
			if d.op == opFuncAddr {
				t, _ := isa.BranchTarget(in, i)
				if c.callbacks == nil {
					c.callbacks = make([]bool, len(insns))
				}
				c.callbacks[t] = true
				d.imm = int64(funcHandleBase + uint64(t))
			}
			c.insns[i] = d
			i++ // the second slot stays opInvalid
			continue
		}
		c.insns[i] = d
	}
	return c, nil
}

func (c *Code) bind(id int32, kfunc bool, h *vm.Helpers) (int64, error) {
	fn, name := h.Func(id, kfunc)
	if fn == nil {
		if kfunc {
			return 0, fmt.Errorf("unknown kfunc ID %d", id)
		}
		return 0, fmt.Errorf("unknown helper %s", vm.HelperName(id))
	}
	c.helpers = append(c.helpers, fn)
	c.names = append(c.names, name)
	return int64(len(c.helpers) - 1), nil
}

func (c *Code) decode(in isa.Instruction, i int, h *vm.Helpers) (inst, error) {
	d := inst{dst: uint8(in.Dst), src: uint8(in.Src), off: int32(in.Offset), imm: int64(in.Imm)}
	op := in.Opcode
	switch op.Class() {
	case isa.ClassALU64, isa.ClassALU:
		d.op = aluOp(op, in)
		if op.Source() == isa.SourceK && (op.Op() == isa.ALULsh || op.Op() == isa.ALURsh || op.Op() == isa.ALUArsh) {
			// Shift counts by an immediate are masked once, here.
			if op.Class() == isa.ClassALU64 {
				d.imm &= 63
			} else {
				d.imm &= 31
			}
		}
	case isa.ClassJMP, isa.ClassJMP32:
		return c.decodeJump(d, in, i, h)
	case isa.ClassLD:
		switch op.Mode() {
		case isa.ModeIMM:
			d.op = opLdImm64
			switch s := uint8(in.Src); s {
			case isa.PseudoNone:
			case isa.PseudoFunc:
				d.op = opFuncAddr
			default:
				return d, fmt.Errorf("ld_imm64 with pseudo source %d needs the loader to resolve it", s)
			}
		case isa.ModeABS:
			d.op, d.aux = opLdAbs, uint8(isa.SizeBytes(op.Size()))
		case isa.ModeIND:
			d.op, d.aux = opLdInd, uint8(isa.SizeBytes(op.Size()))
		}
	case isa.ClassLDX:
		if op.Mode() == isa.ModeMEMSX {
			d.op = [4]uint8{opLdxsW, opLdxsH, opLdxsB, opInvalid}[op.Size()>>3]
		} else {
			d.op = [4]uint8{opLdxW, opLdxH, opLdxB, opLdxDW}[op.Size()>>3]
		}
	case isa.ClassST:
		d.op = [4]uint8{opStW, opStH, opStB, opStDW}[op.Size()>>3]
	case isa.ClassSTX:
		if op.Mode() == isa.ModeMEM {
			d.op = [4]uint8{opStxW, opStxH, opStxB, opStxDW}[op.Size()>>3]
			break
		}
		d.op = atomicOp(op.Size(), in.Imm)
		d.aux = uint8(isa.SizeBytes(op.Size()))
	}
	if d.op == opInvalid {
		return d, fmt.Errorf("unsupported instruction")
	}
	return d, nil
}

func (c *Code) decodeJump(d inst, in isa.Instruction, i int, h *vm.Helpers) (inst, error) {
	op := in.Opcode
	if t, ok := isa.BranchTarget(in, i); ok {
		d.off = int32(t)
	}
	switch op.Op() {
	case isa.JmpJA:
		d.op = opJa
		return d, nil
	case isa.JmpExit:
		d.op = opExit
		return d, nil
	case isa.JmpJCond:
		d.op = opMayGoto
		return d, nil
	case isa.JmpCall:
		if op.Source() == isa.SourceX {
			d.op = opCallX
			return d, nil
		}
		var err error
		switch uint8(in.Src) {
		case isa.CallLocal:
			d.op = opCallLocal
		case isa.CallKfunc:
			d.op = opCallKfunc
			d.imm, err = c.bind(in.Imm, true, h)
		default:
			if in.Imm == vm.TailCallHelperID {
				d.op = opTailCall
				return d, nil
			}
			d.op = opCallHelper
			d.imm, err = c.bind(in.Imm, false, h)
		}
		return d, err
	}
	idx := jumpIndex[op.Op()>>4]
	if idx < 0 {
		return d, fmt.Errorf("unknown jump operation")
	}
	base := opJeq64K
	switch {
	case op.Class() == isa.ClassJMP && op.Source() == isa.SourceX:
		base = opJeq64X
	case op.Class() == isa.ClassJMP32 && op.Source() == isa.SourceK:
		base = opJeq32K
		d.imm = int64(uint32(in.Imm)) // compared as u32 or, re-signed, as s32
	case op.Class() == isa.ClassJMP32:
		base = opJeq32X
	}
	d.op = base + uint8(idx)
	return d, nil
}

// jumpIndex maps a conditional jump operation (op>>4) to its position in the
// opJeq.. opJsle groups.
var jumpIndex = [16]int8{-1, 0, 1, 2, 3, 4, 5, 6, -1, -1, 7, 8, 9, 10, -1, -1}

// aluOps gives, for each ALU operation (op>>4), its internal opcodes in
// the four forms: 64-bit immediate, 64-bit register, 32-bit immediate,
// 32-bit register. Division and modulo list the unsigned form; the signed
// one (offset 1) is in signedOps. Zero marks forms that do not exist or
// that aluOp decodes itself (neg, mov with sign extension, byte swaps).
var aluOps = [16][4]uint8{
	isa.ALUAdd >> 4:  {opAdd64K, opAdd64X, opAdd32K, opAdd32X},
	isa.ALUSub >> 4:  {opSub64K, opSub64X, opSub32K, opSub32X},
	isa.ALUMul >> 4:  {opMul64K, opMul64X, opMul32K, opMul32X},
	isa.ALUDiv >> 4:  {opDiv64K, opDiv64X, opDiv32K, opDiv32X},
	isa.ALUOr >> 4:   {opOr64K, opOr64X, opOr32K, opOr32X},
	isa.ALUAnd >> 4:  {opAnd64K, opAnd64X, opAnd32K, opAnd32X},
	isa.ALULsh >> 4:  {opLsh64K, opLsh64X, opLsh32K, opLsh32X},
	isa.ALURsh >> 4:  {opRsh64K, opRsh64X, opRsh32K, opRsh32X},
	isa.ALUNeg >> 4:  {opNeg64, 0, opNeg32, 0},
	isa.ALUMod >> 4:  {opMod64K, opMod64X, opMod32K, opMod32X},
	isa.ALUXor >> 4:  {opXor64K, opXor64X, opXor32K, opXor32X},
	isa.ALUMov >> 4:  {opMov64K, opMov64X, opMov32K, opMov32X},
	isa.ALUArsh >> 4: {opArsh64K, opArsh64X, opArsh32K, opArsh32X},
}

var signedOps = map[uint8]uint8{
	opDiv64K: opSdiv64K, opDiv64X: opSdiv64X, opDiv32K: opSdiv32K, opDiv32X: opSdiv32X,
	opMod64K: opSmod64K, opMod64X: opSmod64X, opMod32K: opSmod32K, opMod32X: opSmod32X,
}

// movsxOps are the sign-extending moves by offset (8, 16, 32), for 64-
// and 32-bit destinations.
var movsxOps = map[int16][2]uint8{8: {opMovsx64X8, opMovsx32X8}, 16: {opMovsx64X16, opMovsx32X16}, 32: {opMovsx64X32, 0}}

// aluOp decodes an ALU or ALU64 instruction that isa.CheckInstruction
// accepted.
func aluOp(op isa.Opcode, in isa.Instruction) uint8 {
	alu64, x := op.Class() == isa.ClassALU64, op.Source() == isa.SourceX
	if op.Op() == isa.ALUEnd {
		switch {
		case alu64: // bswap
			return [...]uint8{16: opBswap16, 32: opBswap32, 64: opBswap64}[in.Imm]
		case x: // BPF_TO_BE
			return [...]uint8{16: opBe16, 32: opBe32, 64: opBe64}[in.Imm]
		}
		return [...]uint8{16: opLe16, 32: opLe32, 64: opLe64}[in.Imm]
	}
	form := 0
	if x {
		form = 1
	}
	if !alu64 {
		form += 2
	}
	if op.Op() == isa.ALUMov && x && in.Offset != 0 {
		return movsxOps[in.Offset][form/2]
	}
	d := aluOps[op.Op()>>4][form]
	if in.Offset == 1 && (op.Op() == isa.ALUDiv || op.Op() == isa.ALUMod) {
		d = signedOps[d]
	}
	return d
}

func atomicOp(size uint8, imm int32) uint8 {
	switch imm {
	case isa.AtomicLoadAcq:
		return opLoadAcquire
	case isa.AtomicStoreRel:
		return opStoreRelease
	}
	pair, ok := atomicOps[imm]
	if !ok {
		return opInvalid
	}
	if size == isa.SizeDW {
		return pair[1]
	}
	return pair[0]
}

// atomicOps maps a read-modify-write atomic's imm to its 32- and 64-bit
// internal opcodes.
var atomicOps = map[int32][2]uint8{
	isa.AtomicAdd:                   {opAtomicAdd32, opAtomicAdd64},
	isa.AtomicOr:                    {opAtomicOr32, opAtomicOr64},
	isa.AtomicAnd:                   {opAtomicAnd32, opAtomicAnd64},
	isa.AtomicXor:                   {opAtomicXor32, opAtomicXor64},
	isa.AtomicAdd | isa.AtomicFetch: {opAtomicFetchAdd32, opAtomicFetchAdd64},
	isa.AtomicOr | isa.AtomicFetch:  {opAtomicFetchOr32, opAtomicFetchOr64},
	isa.AtomicAnd | isa.AtomicFetch: {opAtomicFetchAnd32, opAtomicFetchAnd64},
	isa.AtomicXor | isa.AtomicFetch: {opAtomicFetchXor32, opAtomicFetchXor64},
	isa.AtomicXchg:                  {opAtomicXchg32, opAtomicXchg64},
	isa.AtomicCmpXchg:               {opAtomicCmpXchg32, opAtomicCmpXchg64},
}
