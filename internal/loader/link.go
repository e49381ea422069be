// Package loader turns the programs of a cilium/ebpf CollectionSpec into
// instruction slots: bpf-to-bpf calls and callback references resolved, and
// the ld_imm64 instructions that refer to maps listed so that the runtime
// can patch in map handles and value addresses, as the kernel does at
// BPF_PROG_LOAD.
package loader

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	"github.com/ebpfvm/ebpfvm/isa"
)

// MapRef is a ld_imm64 that names a map.
type MapRef struct {
	Slot   int    // index of the first slot of the ld_imm64
	Map    string // the map's name in the CollectionSpec
	Value  bool   // BPF_PSEUDO_MAP_VALUE: the address of the value, plus Offset
	Offset uint32 // offset into the value (direct value access)
}

// Func is a function of a linked program that has BTF (func_info): the
// main program and each subprogram of an ELF object.
type Func struct {
	Slot int       // index of the function's first slot in Program.Insns
	BTF  *btf.Func // its name, linkage and prototype
}

// Program is a linked program.
type Program struct {
	Insns []isa.Instruction
	Maps  []MapRef
	Funcs []Func
}

// Link resolves a program's references. Map references are left for the
// caller to patch (see MapRef); their slots hold plain ld_imm64 with the
// pseudo source still set. Kfunc calls are refused: see LinkKfuncs.
func Link(ps *ebpf.ProgramSpec) (*Program, error) {
	return LinkKfuncs(ps, nil)
}

// LinkKfuncs is Link for programs that may call kfuncs: kfuncs resolves
// the name of each kfunc a call refers to (a C extern declared __ksym) to
// the ID the call gets as imm.
func LinkKfuncs(ps *ebpf.ProgramSpec, kfuncs KfuncResolver) (*Program, error) {
	if ps == nil || len(ps.Instructions) == 0 {
		return nil, errors.New("program has no instructions")
	}
	p := &Program{}
	insns := make(asm.Instructions, len(ps.Instructions))
	copy(insns, ps.Instructions)
	slot := 0
	for i := range insns {
		ins := &insns[i]
		if fn := btf.FuncMetadata(ins); fn != nil {
			p.Funcs = append(p.Funcs, Func{Slot: slot, BTF: fn})
		}
		if ins.IsKfuncCall() {
			if err := linkKfunc(ins, slot, kfuncs); err != nil {
				return nil, err
			}
		}
		if ins.IsLoadFromMap() {
			ref := ins.Reference()
			if ref == "" {
				if m := ins.Map(); m != nil {
					return nil, fmt.Errorf("instruction %d: map reference to a kernel map (fd %d) cannot run in ebpfvm", slot, m.FD())
				}
				return nil, fmt.Errorf("instruction %d: ld_imm64 of a map without a map reference", slot)
			}
			p.Maps = append(p.Maps, MapRef{
				Slot:   slot,
				Map:    ref,
				Value:  ins.Src == asm.PseudoMapValue,
				Offset: uint32(uint64(ins.Constant) >> 32),
			})
			// Drop the reference so that Marshal does not look for an fd.
			*ins = asm.Instruction{OpCode: ins.OpCode, Dst: ins.Dst, Src: ins.Src}.WithMetadata(ins.Metadata)
			*ins = ins.WithReference("")
			ins.Constant = 0
		}
		slot += int(ins.Size() / asm.InstructionSize)
	}
	out, err := isa.FromCilium(insns)
	if err != nil {
		return nil, fmt.Errorf("program %s: %w", ps.Name, err)
	}
	p.Insns = out
	return p, nil
}
