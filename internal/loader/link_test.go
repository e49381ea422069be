package loader

import (
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	"github.com/ebpfvm/ebpfvm/isa"
)

func TestLink(t *testing.T) {
	ps := &ebpf.ProgramSpec{Name: "p", Instructions: asm.Instructions{
		asm.LoadMapPtr(asm.R1, 0).WithReference("counts"),      // slots 0-1
		asm.LoadMapValue(asm.R2, 0, 12).WithReference(".data"), // slots 2-3
		asm.Call.Label("helper"),                               // slot 4
		asm.Return(),                                           // slot 5
		asm.Mov.Imm(asm.R0, 1).WithSymbol("helper"),            // slot 6
		asm.Return(),
	}}
	p, err := Link(ps)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Insns) != 8 {
		t.Fatalf("%d slots, want 8:\n%s", len(p.Insns), isa.Disassemble(p.Insns))
	}
	want := []MapRef{{Slot: 0, Map: "counts"}, {Slot: 2, Map: ".data", Value: true, Offset: 12}}
	if len(p.Maps) != 2 || p.Maps[0] != want[0] || p.Maps[1] != want[1] {
		t.Fatalf("map refs %+v, want %+v", p.Maps, want)
	}
	if call := p.Insns[4]; call.Opcode != isa.OpCall || call.Src != isa.Register(isa.CallLocal) || call.Imm != 1 {
		t.Fatalf("local call not resolved: %s", call)
	}
	if err := isa.Validate(p.Insns); err != nil {
		t.Fatal(err)
	}
}

func TestLinkErrors(t *testing.T) {
	if _, err := Link(&ebpf.ProgramSpec{Name: "empty"}); err == nil {
		t.Error("empty program linked")
	}
	_, err := Link(&ebpf.ProgramSpec{Name: "p", Instructions: asm.Instructions{
		asm.Call.Label("nowhere"),
		asm.Return(),
	}})
	if err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("unresolved call: %v", err)
	}
}

// Funcs lists each function's BTF at its slot in the linked program
// (ld_imm64 takes two slots).
func TestLinkFuncs(t *testing.T) {
	main := &btf.Func{Name: "main", Linkage: btf.GlobalFunc, Type: &btf.FuncProto{Return: &btf.Int{Size: 4}}}
	sub := &btf.Func{Name: "sub", Linkage: btf.GlobalFunc, Type: &btf.FuncProto{Return: &btf.Int{Size: 4}}}
	ps := &ebpf.ProgramSpec{Name: "p", Instructions: asm.Instructions{
		btf.WithFuncMetadata(asm.LoadImm(asm.R1, 1<<40, asm.DWord), main), // slots 0-1
		asm.Call.Label("sub"), // slot 2
		asm.Return(),          // slot 3
		btf.WithFuncMetadata(asm.Mov.Imm(asm.R0, 1).WithSymbol("sub"), sub), // slot 4
		asm.Return(),
	}}
	p, err := Link(ps)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Funcs) != 2 || p.Funcs[0].Slot != 0 || p.Funcs[0].BTF != main || p.Funcs[1].Slot != 4 || p.Funcs[1].BTF != sub {
		t.Fatalf("funcs %+v, want main at 0 and sub at 4", p.Funcs)
	}
}
