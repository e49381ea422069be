package ebpfvm_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// TestVerifierBudget: ProgramOptions.VerifierBudget and
// CollectionOptions.VerifierBudget reach the verifier, which refuses a
// program that needs more than the budget.
func TestVerifierBudget(t *testing.T) {
	insns, err := isa.Assemble(`r1 = 0
loop:
r1 += 1
if r1 < 1000 goto loop
r0 = 0
exit`)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ebpfvm.NewProgram(insns, nil)
	if err != nil {
		t.Fatalf("without a budget: %v", err)
	}
	p.Close()
	_, err = ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{VerifierBudget: verifier.Budget{Insns: 500}})
	var ve *verifier.Error
	if !errors.As(err, &ve) || !strings.Contains(ve.Msg, "BPF program is too large. Processed 501 insn") {
		t.Errorf("NewProgram with a 500-insn budget: %v", err)
	}

	path := filepath.Join("testdata", "corpus", "callbacks.o")
	coll, err := ebpfvm.LoadCollection(path, nil)
	if err != nil {
		t.Fatalf("callbacks.o without a budget: %v", err)
	}
	coll.Close()
	_, err = ebpfvm.LoadCollection(path, &ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{VerifierBudget: verifier.Budget{States: 2}}})
	if !errors.As(err, &ve) || !strings.Contains(ve.Msg, "verifier budget exceeded: 3 states stored (Budget.States 2)") {
		t.Errorf("LoadCollection with a 2-state budget: %v", err)
	}
}
