package isa

import "fmt"

// String returns the raw fields of the instruction.
func (in Instruction) String() string {
	return fmt.Sprintf("op=%#02x dst=r%d src=r%d off=%d imm=%d", uint8(in.Opcode), in.Dst, in.Src, in.Offset, in.Imm)
}
