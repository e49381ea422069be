package isa

import (
	"encoding/binary"
	"fmt"
)

// Register is an eBPF register number. R0-R10 exist; R10 is the read-only
// frame pointer.
type Register uint8

// The eBPF registers.
const (
	R0 Register = iota
	R1
	R2
	R3
	R4
	R5
	R6
	R7
	R8
	R9
	R10
)

// RFP is the frame pointer, R10.
const RFP = R10

// InstructionSize is the size of one encoded instruction slot in bytes.
const InstructionSize = 8

// Instruction is one 8-byte instruction slot, field for field as the kernel's
// struct bpf_insn. The second slot of a 64-bit immediate load is also an
// Instruction (opcode 0, the upper 32 bits in Imm).
type Instruction struct {
	Opcode Opcode
	Dst    Register // low nibble of byte 1
	Src    Register // high nibble of byte 1
	Offset int16
	Imm    int32
}

// Encode appends the little-endian encoding of insns to b.
func Encode(b []byte, insns []Instruction) []byte {
	for _, in := range insns {
		b = append(b, byte(in.Opcode), byte(in.Dst&0x0f)|byte(in.Src&0x0f)<<4)
		b = binary.LittleEndian.AppendUint16(b, uint16(in.Offset))
		b = binary.LittleEndian.AppendUint32(b, uint32(in.Imm))
	}
	return b
}

// Decode splits little-endian bytecode into instruction slots. It checks
// only that the length is a multiple of 8; Validate checks the contents.
func Decode(b []byte) ([]Instruction, error) {
	if len(b)%InstructionSize != 0 {
		return nil, fmt.Errorf("bytecode length %d is not a multiple of %d", len(b), InstructionSize)
	}
	insns := make([]Instruction, len(b)/InstructionSize)
	for i := range insns {
		s := b[i*InstructionSize:]
		insns[i] = Instruction{
			Opcode: Opcode(s[0]),
			Dst:    Register(s[1] & 0x0f),
			Src:    Register(s[1] >> 4),
			Offset: int16(binary.LittleEndian.Uint16(s[2:])),
			Imm:    int32(binary.LittleEndian.Uint32(s[4:])),
		}
	}
	return insns, nil
}

// IsLoadImm64 reports whether the instruction is the first slot of a 64-bit
// immediate load (ld_imm64, "lddw").
func (in Instruction) IsLoadImm64() bool { return in.Opcode == OpLdImm64 }

// Imm64 combines the immediates of a ld_imm64 slot pair.
func Imm64(first, second Instruction) uint64 {
	return uint64(uint32(first.Imm)) | uint64(uint32(second.Imm))<<32
}

// Constructors for building programs in Go (tests, generators, embedders).

// ALU64Imm is dst = dst <op> imm (64-bit).
func ALU64Imm(op uint8, dst Register, imm int32) Instruction {
	return Instruction{Opcode: Opcode(ClassALU64) | Opcode(op) | Opcode(SourceK), Dst: dst, Imm: imm}
}

// ALU64Reg is dst = dst <op> src (64-bit).
func ALU64Reg(op uint8, dst, src Register) Instruction {
	return Instruction{Opcode: Opcode(ClassALU64) | Opcode(op) | Opcode(SourceX), Dst: dst, Src: src}
}

// ALU32Imm is wdst = wdst <op> imm (32-bit, upper half zeroed).
func ALU32Imm(op uint8, dst Register, imm int32) Instruction {
	return Instruction{Opcode: Opcode(ClassALU) | Opcode(op) | Opcode(SourceK), Dst: dst, Imm: imm}
}

// ALU32Reg is wdst = wdst <op> wsrc (32-bit, upper half zeroed).
func ALU32Reg(op uint8, dst, src Register) Instruction {
	return Instruction{Opcode: Opcode(ClassALU) | Opcode(op) | Opcode(SourceX), Dst: dst, Src: src}
}

// Mov64Imm is dst = imm (sign-extended to 64 bits).
func Mov64Imm(dst Register, imm int32) Instruction { return ALU64Imm(ALUMov, dst, imm) }

// Mov64Reg is dst = src.
func Mov64Reg(dst, src Register) Instruction { return ALU64Reg(ALUMov, dst, src) }

// JumpImm is "if dst <op> imm goto +off" (class JMP).
func JumpImm(op uint8, dst Register, imm int32, off int16) Instruction {
	return Instruction{Opcode: Opcode(ClassJMP) | Opcode(op) | Opcode(SourceK), Dst: dst, Imm: imm, Offset: off}
}

// JumpReg is "if dst <op> src goto +off" (class JMP).
func JumpReg(op uint8, dst, src Register, off int16) Instruction {
	return Instruction{Opcode: Opcode(ClassJMP) | Opcode(op) | Opcode(SourceX), Dst: dst, Src: src, Offset: off}
}

// Ja is "goto +off".
func Ja(off int16) Instruction { return Instruction{Opcode: OpJA, Offset: off} }

// LoadMem is dst = *(size *)(src + off).
func LoadMem(size uint8, dst, src Register, off int16) Instruction {
	return Instruction{Opcode: Opcode(ClassLDX) | Opcode(ModeMEM) | Opcode(size), Dst: dst, Src: src, Offset: off}
}

// StoreMem is *(size *)(dst + off) = src.
func StoreMem(size uint8, dst, src Register, off int16) Instruction {
	return Instruction{Opcode: Opcode(ClassSTX) | Opcode(ModeMEM) | Opcode(size), Dst: dst, Src: src, Offset: off}
}

// StoreImm is *(size *)(dst + off) = imm.
func StoreImm(size uint8, dst Register, off int16, imm int32) Instruction {
	return Instruction{Opcode: Opcode(ClassST) | Opcode(ModeMEM) | Opcode(size), Dst: dst, Offset: off, Imm: imm}
}

// Atomic is the BPF_STX|BPF_ATOMIC instruction with the given operation.
func Atomic(size uint8, op int32, dst, src Register, off int16) Instruction {
	return Instruction{Opcode: Opcode(ClassSTX) | Opcode(ModeATOMIC) | Opcode(size), Dst: dst, Src: src, Offset: off, Imm: op}
}

// LoadImm64 is the two-slot dst = imm64.
func LoadImm64(dst Register, v uint64) [2]Instruction {
	return [2]Instruction{
		{Opcode: OpLdImm64, Dst: dst, Imm: int32(uint32(v))},
		{Imm: int32(uint32(v >> 32))},
	}
}

// Call calls the helper with the given Linux helper ID.
func Call(helper int32) Instruction { return Instruction{Opcode: OpCall, Imm: helper} }

// Exit returns r0 from the current function.
func Exit() Instruction { return Instruction{Opcode: OpExit} }
