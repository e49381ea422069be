package loader

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/isa"
)

// Kfunc calls of an ELF object name their kfunc (extern ... __ksym); the
// loader gives each the ID the resolver has for the name.
func TestLinkKfuncs(t *testing.T) {
	spec, err := ebpf.LoadCollectionSpec("../../testdata/kfunc/kfunc.o")
	if err != nil {
		t.Fatal(err)
	}
	ps := spec.Programs["call_kfuncs"]
	ids := map[string]int32{"ebpfvm_mix": 1000, "ebpfvm_sum": 1001}
	p, err := LinkKfuncs(ps, func(name string) (int32, error) {
		if id, ok := ids[name]; ok {
			return id, nil
		}
		return 0, ErrKfuncNotFound
	})
	if err != nil {
		t.Fatal(err)
	}
	for slot, want := range map[int]int32{5: 1000, 10: 1001} {
		in := p.Insns[slot]
		if in.Opcode != isa.OpCall || uint8(in.Src) != isa.CallKfunc || in.Imm != want || in.Offset != 0 {
			t.Errorf("slot %d: %s, want a call of kfunc %d", slot, in, want)
		}
	}
	if err := isa.Validate(p.Insns); err != nil {
		t.Fatal(err)
	}

	// Names without a kfunc, and no kfuncs at all.
	_, err = LinkKfuncs(ps, func(name string) (int32, error) {
		if name == "ebpfvm_mix" {
			return 1000, nil
		}
		return 0, ErrKfuncNotFound
	})
	want := "instruction 10: call to kfunc ebpfvm_sum: " + ErrKfuncNotFound.Error()
	if err == nil || err.Error() != want || !errors.Is(err, ErrKfuncNotFound) {
		t.Fatalf("got %v, want %s", err, want)
	}
	_, err = Link(ps)
	want = "instruction 5: call to kfunc ebpfvm_mix: no kfuncs are registered (Helpers.RegisterKfunc)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	_, err = LinkKfuncs(ps, func(name string) (int32, error) { return 0, fmt.Errorf("two of %s", name) })
	if err == nil || err.Error() != "instruction 5: call to kfunc ebpfvm_mix: two of ebpfvm_mix" {
		t.Fatalf("got %v", err)
	}
}
