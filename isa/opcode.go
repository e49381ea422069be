package isa

// Class is the low three bits of an opcode.
type Class uint8

// Instruction classes.
const (
	ClassLD    Class = 0x00
	ClassLDX   Class = 0x01
	ClassST    Class = 0x02
	ClassSTX   Class = 0x03
	ClassALU   Class = 0x04
	ClassJMP   Class = 0x05
	ClassJMP32 Class = 0x06
	ClassALU64 Class = 0x07
)

// Source is bit 3 of an ALU or jump opcode: an immediate (K) or a register (X)
// operand. For the byte swap instructions of class ALU it selects the target
// byte order instead.
const (
	SourceK uint8 = 0x00
	SourceX uint8 = 0x08
)

// ALU operations (bits 4-7 of an ALU or ALU64 opcode).
const (
	ALUAdd  uint8 = 0x00
	ALUSub  uint8 = 0x10
	ALUMul  uint8 = 0x20
	ALUDiv  uint8 = 0x30
	ALUOr   uint8 = 0x40
	ALUAnd  uint8 = 0x50
	ALULsh  uint8 = 0x60
	ALURsh  uint8 = 0x70
	ALUNeg  uint8 = 0x80
	ALUMod  uint8 = 0x90
	ALUXor  uint8 = 0xa0
	ALUMov  uint8 = 0xb0
	ALUArsh uint8 = 0xc0
	ALUEnd  uint8 = 0xd0
)

// Jump operations (bits 4-7 of a JMP or JMP32 opcode).
const (
	JmpJA    uint8 = 0x00
	JmpJEQ   uint8 = 0x10
	JmpJGT   uint8 = 0x20
	JmpJGE   uint8 = 0x30
	JmpJSET  uint8 = 0x40
	JmpJNE   uint8 = 0x50
	JmpJSGT  uint8 = 0x60
	JmpJSGE  uint8 = 0x70
	JmpCall  uint8 = 0x80
	JmpExit  uint8 = 0x90
	JmpJLT   uint8 = 0xa0
	JmpJLE   uint8 = 0xb0
	JmpJSLT  uint8 = 0xc0
	JmpJSLE  uint8 = 0xd0
	JmpJCond uint8 = 0xe0 // may_goto (src_reg 0)
)

// Memory access sizes (bits 3-4 of a load or store opcode).
const (
	SizeW  uint8 = 0x00
	SizeH  uint8 = 0x08
	SizeB  uint8 = 0x10
	SizeDW uint8 = 0x18
)

// Memory access modes (bits 5-7 of a load or store opcode).
const (
	ModeIMM    uint8 = 0x00
	ModeABS    uint8 = 0x20
	ModeIND    uint8 = 0x40
	ModeMEM    uint8 = 0x60
	ModeMEMSX  uint8 = 0x80
	ModeATOMIC uint8 = 0xc0
)

// Atomic operations, in the imm field of BPF_STX|BPF_ATOMIC.
const (
	AtomicAdd      int32 = 0x00
	AtomicOr       int32 = 0x40
	AtomicAnd      int32 = 0x50
	AtomicXor      int32 = 0xa0
	AtomicFetch    int32 = 0x01
	AtomicXchg     int32 = 0xe0 | AtomicFetch
	AtomicCmpXchg  int32 = 0xf0 | AtomicFetch
	AtomicLoadAcq  int32 = 0x100
	AtomicStoreRel int32 = 0x110
)

// Pseudo source registers of ld_imm64 (BPF_LD|BPF_IMM|BPF_DW).
const (
	PseudoNone        uint8 = 0
	PseudoMapFD       uint8 = 1
	PseudoMapValue    uint8 = 2
	PseudoBTFID       uint8 = 3
	PseudoFunc        uint8 = 4
	PseudoMapIdx      uint8 = 5
	PseudoMapIdxValue uint8 = 6
)

// Source registers of BPF_JMP|BPF_CALL|BPF_K.
const (
	CallHelper uint8 = 0 // imm is a helper ID
	CallLocal  uint8 = 1 // imm is a relative instruction offset (bpf-to-bpf)
	CallKfunc  uint8 = 2 // imm is a BTF ID, off a BTF fd index
)

// Opcode is the first byte of an instruction.
type Opcode uint8

// Frequently used complete opcodes.
const (
	OpLdImm64 Opcode = Opcode(ClassLD) | Opcode(ModeIMM) | Opcode(SizeDW) // 0x18
	OpCall    Opcode = Opcode(ClassJMP) | Opcode(JmpCall)                 // 0x85
	OpCallX   Opcode = Opcode(ClassJMP) | Opcode(JmpCall) | Opcode(SourceX)
	OpExit    Opcode = Opcode(ClassJMP) | Opcode(JmpExit) // 0x95
	OpJA      Opcode = Opcode(ClassJMP) | Opcode(JmpJA)   // 0x05
	OpGotoL   Opcode = Opcode(ClassJMP32) | Opcode(JmpJA) // 0x06
	OpMayGoto Opcode = Opcode(ClassJMP) | Opcode(JmpJCond)
)

// Class returns the instruction class.
func (o Opcode) Class() Class { return Class(o & 0x07) }

// Op returns the ALU or jump operation (bits 4-7).
func (o Opcode) Op() uint8 { return uint8(o) & 0xf0 }

// Source returns SourceK or SourceX.
func (o Opcode) Source() uint8 { return uint8(o) & 0x08 }

// Size returns the memory access size field.
func (o Opcode) Size() uint8 { return uint8(o) & 0x18 }

// Mode returns the memory access mode field.
func (o Opcode) Mode() uint8 { return uint8(o) & 0xe0 }

// IsALU reports whether the opcode belongs to class ALU or ALU64.
func (o Opcode) IsALU() bool { c := o.Class(); return c == ClassALU || c == ClassALU64 }

// IsJump reports whether the opcode belongs to class JMP or JMP32.
func (o Opcode) IsJump() bool { c := o.Class(); return c == ClassJMP || c == ClassJMP32 }

// SizeBytes converts a size field to a byte count (1, 2, 4 or 8).
func SizeBytes(size uint8) int {
	switch size {
	case SizeB:
		return 1
	case SizeH:
		return 2
	case SizeW:
		return 4
	}
	return 8
}
