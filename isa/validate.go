package isa

import (
	"errors"
	"fmt"
)

// Error is a problem with one instruction of a program.
type Error struct {
	Index  int         // slot index of the instruction
	Insn   Instruction // the instruction
	Reason string
}

func (e *Error) Error() string {
	return fmt.Sprintf("instruction %d (%s): %s", e.Index, e.Insn, e.Reason)
}

func insnError(i int, in Instruction, format string, args ...any) *Error {
	return &Error{Index: i, Insn: in, Reason: fmt.Sprintf(format, args...)}
}

// MaxInstructions is the kernel's limit on program length in slots
// (BPF_COMPLEXITY_LIMIT_INSNS).
const MaxInstructions = 1_000_000

// Validate checks a program's structure the way the kernel does before its
// verifier's data-flow pass: every opcode is defined, reserved fields are
// zero, registers exist, ld_imm64 occupies two well-formed slots, every jump
// and local call lands on an instruction inside the program (never on the
// second slot of a ld_imm64), and control cannot fall off the end. It does
// not judge what the program does at run time; that is the verifier's job.
func Validate(insns []Instruction) error {
	if len(insns) == 0 {
		return errors.New("empty program")
	}
	if len(insns) > MaxInstructions {
		return fmt.Errorf("program has %d instructions, more than the limit of %d", len(insns), MaxInstructions)
	}
	// First pass: per-instruction checks and the ld_imm64 second slots.
	second := make([]bool, len(insns))
	for i := 0; i < len(insns); i++ {
		in := insns[i]
		if err := CheckInstruction(in); err != nil {
			return &Error{Index: i, Insn: in, Reason: err.Error()}
		}
		if in.IsLoadImm64() {
			if i+1 >= len(insns) {
				return insnError(i, in, "ld_imm64 is missing its second slot")
			}
			n := insns[i+1]
			if n.Opcode != 0 || n.Dst != 0 || n.Src != 0 || n.Offset != 0 {
				return insnError(i+1, n, "invalid second slot of ld_imm64 (opcode, registers and offset must be zero)")
			}
			// A function reference's second imm is not read (the
			// kernel ignores it; cilium/ebpf sign-extends a backward
			// offset into it).
			if s := uint8(in.Src); s == PseudoMapFD || s == PseudoMapIdx {
				if n.Imm != 0 {
					return insnError(i+1, n, "second slot of a map reference ld_imm64 must have imm 0")
				}
			}
			second[i+1] = true
			i++
		}
	}
	// Second pass: control flow.
	for i := 0; i < len(insns); i++ {
		in := insns[i]
		if second[i] {
			continue
		}
		if t, ok := BranchTarget(in, i); ok {
			if t < 0 || t >= len(insns) {
				return insnError(i, in, "jump out of range to %d (program has %d instructions)", t, len(insns))
			}
			if second[t] {
				return insnError(i, in, "jump into the middle of ld_imm64 at %d", t)
			}
		}
	}
	last := insns[len(insns)-1]
	if second[len(insns)-1] {
		last = insns[len(insns)-2]
	}
	if !endsFlow(last) {
		return insnError(len(insns)-1, insns[len(insns)-1], "last instruction is not an exit or a jump: control falls off the end")
	}
	return nil
}

// endsFlow reports whether control never continues to the next slot.
func endsFlow(in Instruction) bool {
	return in.Opcode == OpExit || in.Opcode == OpJA || in.Opcode == OpGotoL
}

// BranchTarget returns the slot a jump, goto, may_goto or local call at index
// i may transfer control to (other than the next instruction).
func BranchTarget(in Instruction, i int) (int, bool) {
	switch c := in.Opcode.Class(); c {
	case ClassJMP, ClassJMP32:
		switch op := in.Opcode.Op(); op {
		case JmpExit:
			return 0, false
		case JmpCall:
			if in.Opcode.Source() == SourceK && uint8(in.Src) == CallLocal {
				return i + 1 + int(in.Imm), true
			}
			return 0, false
		case JmpJA:
			if c == ClassJMP32 {
				return i + 1 + int(in.Imm), true
			}
			return i + 1 + int(in.Offset), true
		default:
			return i + 1 + int(in.Offset), true
		}
	case ClassLD:
		if in.IsLoadImm64() && uint8(in.Src) == PseudoFunc {
			return i + 1 + int(in.Imm), true
		}
	}
	return 0, false
}

// CheckInstruction checks one slot's opcode and reserved fields. The second
// slot of a ld_imm64 is not an instruction of its own and must not be passed
// here.
func CheckInstruction(in Instruction) error {
	if in.Dst > R10 {
		return fmt.Errorf("invalid destination register r%d", in.Dst)
	}
	if in.Src > R10 && !(in.IsLoadImm64() || in.Opcode == OpCall) {
		return fmt.Errorf("invalid source register r%d", in.Src)
	}
	switch in.Opcode.Class() {
	case ClassALU, ClassALU64:
		return checkALU(in)
	case ClassJMP, ClassJMP32:
		return checkJump(in)
	case ClassLD:
		return checkLD(in)
	case ClassLDX:
		return checkLDX(in)
	case ClassST:
		if in.Opcode.Mode() != ModeMEM {
			return errors.New("BPF_ST uses reserved fields (mode must be BPF_MEM)")
		}
		if in.Src != 0 {
			return errors.New("BPF_ST uses reserved fields (src_reg must be 0)")
		}
		return nil
	case ClassSTX:
		return checkSTX(in)
	}
	return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
}

func checkALU(in Instruction) error {
	alu64 := in.Opcode.Class() == ClassALU64
	op, x := in.Opcode.Op(), in.Opcode.Source() == SourceX
	switch op {
	case ALUEnd:
		if alu64 && x {
			return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
		}
		if in.Src != 0 || in.Offset != 0 {
			return errors.New("BPF_END uses reserved fields")
		}
		if in.Imm != 16 && in.Imm != 32 && in.Imm != 64 {
			return fmt.Errorf("BPF_END uses invalid width %d (want 16, 32 or 64)", in.Imm)
		}
		return nil
	case ALUNeg:
		if x || in.Src != 0 || in.Offset != 0 || in.Imm != 0 {
			return errors.New("BPF_NEG uses reserved fields")
		}
		return nil
	case ALUMov:
		if x {
			if in.Imm != 0 {
				return errors.New("BPF_MOV uses reserved fields (imm must be 0)")
			}
			switch in.Offset {
			case 0, 8, 16:
			case 32:
				if !alu64 {
					return errors.New("BPF_MOV uses reserved fields (32-bit movsx from 32 bits)")
				}
			default:
				return fmt.Errorf("BPF_MOV uses reserved fields (sign-extension offset %d)", in.Offset)
			}
			return nil
		}
		if in.Src != 0 || in.Offset != 0 {
			return errors.New("BPF_MOV uses reserved fields")
		}
		return nil
	case ALUAdd, ALUSub, ALUMul, ALUOr, ALUAnd, ALULsh, ALURsh, ALUXor, ALUArsh, ALUDiv, ALUMod:
		if op == ALUDiv || op == ALUMod {
			if in.Offset != 0 && in.Offset != 1 {
				return fmt.Errorf("BPF_ALU uses reserved fields (offset %d, want 0 or 1 for signed)", in.Offset)
			}
		} else if in.Offset != 0 {
			return errors.New("BPF_ALU uses reserved fields (offset must be 0)")
		}
		if x && in.Imm != 0 {
			return errors.New("BPF_ALU uses reserved fields (imm must be 0 with a register source)")
		}
		if !x && in.Src != 0 {
			return errors.New("BPF_ALU uses reserved fields (src_reg must be 0 with an immediate)")
		}
		return nil
	}
	return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
}

func checkJump(in Instruction) error {
	jmp32 := in.Opcode.Class() == ClassJMP32
	op, x := in.Opcode.Op(), in.Opcode.Source() == SourceX
	switch op {
	case JmpJA:
		if x || in.Src != 0 || in.Dst != 0 {
			return errors.New("BPF_JA uses reserved fields")
		}
		if jmp32 && in.Offset != 0 {
			return errors.New("BPF_JA uses reserved fields (gotol takes its offset in imm)")
		}
		if !jmp32 && in.Imm != 0 {
			return errors.New("BPF_JA uses reserved fields (imm must be 0)")
		}
		return nil
	case JmpCall:
		if jmp32 {
			return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
		}
		if x { // callx: target register in dst_reg
			if in.Src != 0 || in.Offset != 0 || in.Imm != 0 {
				return errors.New("BPF_CALL uses reserved fields (callx)")
			}
			return nil
		}
		if in.Dst != 0 {
			return errors.New("BPF_CALL uses reserved fields (dst_reg must be 0)")
		}
		switch uint8(in.Src) {
		case CallHelper, CallLocal:
			if in.Offset != 0 {
				return errors.New("BPF_CALL uses reserved fields (offset must be 0)")
			}
		case CallKfunc:
		default:
			return fmt.Errorf("BPF_CALL uses reserved fields (src_reg %d)", in.Src)
		}
		return nil
	case JmpExit:
		if jmp32 {
			return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
		}
		if x || in.Src != 0 || in.Dst != 0 || in.Offset != 0 || in.Imm != 0 {
			return errors.New("BPF_EXIT uses reserved fields")
		}
		return nil
	case JmpJCond:
		if jmp32 || x {
			return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
		}
		if in.Src != 0 || in.Dst != 0 || in.Imm != 0 {
			return errors.New("invalid may_goto (src_reg, dst_reg and imm must be 0)")
		}
		return nil
	case JmpJEQ, JmpJGT, JmpJGE, JmpJSET, JmpJNE, JmpJSGT, JmpJSGE, JmpJLT, JmpJLE, JmpJSLT, JmpJSLE:
		if x && in.Imm != 0 {
			return errors.New("BPF_JMP/JMP32 uses reserved fields (imm must be 0 with a register source)")
		}
		if !x && in.Src != 0 {
			return errors.New("BPF_JMP/JMP32 uses reserved fields (src_reg must be 0 with an immediate)")
		}
		return nil
	}
	return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
}

func checkLD(in Instruction) error {
	switch in.Opcode.Mode() {
	case ModeIMM:
		if in.Opcode.Size() != SizeDW {
			return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
		}
		if in.Offset != 0 {
			return errors.New("BPF_LD_IMM64 uses reserved fields (offset must be 0)")
		}
		if uint8(in.Src) > PseudoMapIdxValue {
			return fmt.Errorf("BPF_LD_IMM64 uses unknown pseudo source %d", in.Src)
		}
		return nil
	case ModeABS, ModeIND:
		if in.Opcode.Size() == SizeDW {
			return fmt.Errorf("unknown opcode %#02x (no 8-byte legacy packet load)", uint8(in.Opcode))
		}
		if in.Dst != 0 || in.Offset != 0 || (in.Opcode.Mode() == ModeABS && in.Src != 0) {
			return errors.New("BPF_LD_[ABS|IND] uses reserved fields")
		}
		return nil
	}
	return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
}

func checkLDX(in Instruction) error {
	switch in.Opcode.Mode() {
	case ModeMEM:
	case ModeMEMSX:
		if in.Opcode.Size() == SizeDW {
			return fmt.Errorf("unknown opcode %#02x (no sign-extending 8-byte load)", uint8(in.Opcode))
		}
	default:
		return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
	}
	if in.Imm != 0 {
		return errors.New("BPF_LDX uses reserved fields (imm must be 0)")
	}
	return nil
}

func checkSTX(in Instruction) error {
	switch in.Opcode.Mode() {
	case ModeMEM:
		if in.Imm != 0 {
			return errors.New("BPF_STX uses reserved fields (imm must be 0)")
		}
		return nil
	case ModeATOMIC:
		size := in.Opcode.Size()
		switch in.Imm {
		case AtomicAdd, AtomicOr, AtomicAnd, AtomicXor,
			AtomicAdd | AtomicFetch, AtomicOr | AtomicFetch, AtomicAnd | AtomicFetch, AtomicXor | AtomicFetch,
			AtomicXchg, AtomicCmpXchg:
			if size != SizeW && size != SizeDW {
				return errors.New("invalid atomic operand size (read-modify-write atomics take 4 or 8 bytes)")
			}
			return nil
		case AtomicLoadAcq, AtomicStoreRel:
			return nil
		}
		return fmt.Errorf("BPF_ATOMIC uses invalid atomic opcode %#02x", in.Imm)
	}
	return fmt.Errorf("unknown opcode %#02x", uint8(in.Opcode))
}
