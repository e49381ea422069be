package isa

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cilium/ebpf/asm"
)

// FromCilium converts instructions of github.com/cilium/ebpf/asm, as found
// in a ProgramSpec, to slots. Jumps and calls to symbols are resolved and
// maps already associated with the instructions are encoded as their file
// descriptors, as cilium/ebpf does before loading; unresolved map
// references keep whatever constant the instruction holds. insns is not
// modified.
func FromCilium(insns asm.Instructions) ([]Instruction, error) {
	// Marshal resolves references in place: work on a copy.
	insns = append(asm.Instructions(nil), insns...)
	var buf bytes.Buffer
	if err := insns.Marshal(&buf, binary.LittleEndian); err != nil {
		return nil, fmt.Errorf("encoding cilium/ebpf instructions: %w", err)
	}
	out, err := Decode(buf.Bytes())
	if err != nil {
		return nil, err
	}
	fixAtomicImms(out, insns)
	return out, nil
}

// fixAtomicImms restores the operation of atomic instructions.
// cilium/ebpf (v0.22) keeps it in the opcode and Marshal writes the
// instruction's Constant as imm, which is zero for instructions built with
// its DSL (asm.FetchAdd.Mem, asm.LoadAcquire, ...).
func fixAtomicImms(out []Instruction, insns asm.Instructions) {
	slot := 0
	for _, in := range insns {
		if op := in.OpCode.AtomicOp(); op != asm.InvalidAtomic && slot < len(out) {
			out[slot].Imm |= int32(uint32(op) >> 8)
		}
		slot += int(in.Size() / asm.InstructionSize)
	}
}

// ToCilium converts slots to cilium/ebpf instructions (one asm.Instruction
// per ld_imm64 pair). Helper IDs are read as Linux helpers. It fails where
// cilium/ebpf cannot represent the slots, for example a ld_imm64 whose
// second slot is missing or has fields other than imm set.
func ToCilium(insns []Instruction) (asm.Instructions, error) {
	out, err := asm.AppendInstructions(nil, bytes.NewReader(Encode(nil, insns)), binary.LittleEndian, "linux")
	if err != nil {
		return nil, fmt.Errorf("decoding into cilium/ebpf instructions: %w", err)
	}
	return out, nil
}
