package ebpfvm_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
	"github.com/ebpfvm/ebpfvm/isa"
)

// FuzzInterpreter runs arbitrary bytecode unverified, in checked mode, on
// every engine that has it: whatever passes structural validation must run
// to an exit or a *RunError, never panic or fault, and never report a
// context different in length from the one it was given. (verifier.FuzzVerify fuzzes what
// the verifier accepts.)
func FuzzInterpreter(f *testing.F) {
	for _, bp := range benchPrograms {
		f.Add(isa.Encode(nil, bp.insns), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	}
	f.Add(isa.Encode(nil, prog(isa.LoadMem(isa.SizeDW, isa.R0, isa.R1, 0), isa.Exit())), make([]byte, 8))
	f.Add(isa.Encode(nil, prog(isa.Atomic(isa.SizeDW, isa.AtomicCmpXchg, isa.R10, isa.R1, -8), isa.Exit())), []byte{})
	f.Fuzz(func(t *testing.T, code, ctx []byte) {
		insns, err := isa.Decode(code)
		if err != nil {
			return
		}
		for _, e := range engines.All() {
			if e.Checked {
				fuzzChecked(t, e, insns, ctx)
			}
		}
	})
}

// fuzzChecked is FuzzInterpreter's run of insns on engine e.
func fuzzChecked(t *testing.T, e engines.Engine, insns []isa.Instruction, ctx []byte) {
	p, err := ebpfvm.NewProgram(insns, e.Program(&ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone}))
	if err != nil {
		return
	}
	defer p.Close()
	res, err := p.Run(&ebpfvm.RunOptions{Context: ctx, Data: ctx, Budget: 10000})
	if err != nil {
		var re *ebpfvm.RunError
		if !errors.As(err, &re) {
			t.Fatalf("%s: run error is not a RunError: %v", e.Name, err)
		}
		if re.Index < 0 || re.Index >= len(insns) {
			t.Fatalf("%s: error names instruction %d of %d", e.Name, re.Index, len(insns))
		}
		return
	}
	if len(res.ContextOut) != len(ctx) {
		t.Fatalf("%s: context out has %d bytes, want %d", e.Name, len(res.ContextOut), len(ctx))
	}
}

// FuzzLoadCollection feeds arbitrary bytes (seeded with the corpus
// objects) to the ELF loader and the verifier: malformed objects must give
// an error, never a panic, and whatever loads must run to an exit or a
// RunError, verified or, when the verifier refuses it, unverified, on
// every engine.
func FuzzLoadCollection(f *testing.F) {
	objs, _ := filepath.Glob("testdata/corpus/*.o")
	for _, o := range objs {
		if b, err := os.ReadFile(o); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, obj []byte) {
		spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(obj))
		if err != nil {
			return
		}
		for _, e := range engines.All() {
			fuzzCollection(t, e, spec)
		}
	})
}

// fuzzCollection is FuzzLoadCollection's load and runs of spec on engine
// e: verified, or unverified if the verifier refuses it and e runs
// unverified programs.
func fuzzCollection(t *testing.T, e engines.Engine, spec *ebpf.CollectionSpec) {
	c, err := ebpfvm.NewCollection(spec, e.Collection(&ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{NumCPU: 2}}))
	if err != nil && e.Checked {
		c, err = ebpfvm.NewCollection(spec, e.Collection(&ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{NumCPU: 2, Verify: ebpfvm.VerifyNone}}))
	}
	if err != nil {
		return
	}
	defer c.Close()
	for _, p := range c.Programs {
		_, err := p.Run(&ebpfvm.RunOptions{Data: make([]byte, 64), Context: nil, Budget: 100000})
		var re *ebpfvm.RunError
		if err != nil && !errors.As(err, &re) && !strings.Contains(err.Error(), "invalid test run") {
			t.Logf("%s: run error: %v", e.Name, err)
		}
	}
}
