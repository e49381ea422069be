package ebpfvm_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/isa"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// TestParseEngine: the names the command line takes, and the refusals.
func TestParseEngine(t *testing.T) {
	for _, c := range []struct {
		name string
		want ebpfvm.Engine
		err  string
	}{
		{"auto", ebpfvm.EngineAuto, ""},
		{"interp", ebpfvm.EngineInterpreter, ""},
		{"jit", 0, `engine "jit" is not available yet (have: auto, interp)`},
		{"llvm", 0, `unknown engine "llvm" (have: auto, interp)`},
	} {
		e, err := ebpfvm.ParseEngine(c.name)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%s: got %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || e != c.want || e.String() != c.name {
			t.Errorf("%s: got %v (%s), %v", c.name, e, e, err)
		}
	}
}

// TestProgramEngine: every engine that exists runs a program, and one
// that does not is refused at load with EINVAL.
func TestProgramEngine(t *testing.T) {
	insns, _ := isa.Assemble("r0 = 42\nexit")
	for _, e := range []ebpfvm.Engine{ebpfvm.EngineAuto, ebpfvm.EngineInterpreter} {
		p, err := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{Engine: e})
		if err != nil {
			t.Fatalf("%v: %v", e, err)
		}
		res, err := p.Run(nil)
		p.Close()
		if err != nil || res.ReturnValue != 42 {
			t.Fatalf("%v: got %d, %v", e, res.ReturnValue, err)
		}
	}
	_, err := ebpfvm.NewProgram(insns, &ebpfvm.ProgramOptions{Engine: ebpfvm.Engine(99)})
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Engine(99): got %v, want EINVAL", err)
	}
}

// TestCollectionOptionsFromSpec: the program settings that the spec
// decides are refused in CollectionOptions.Programs rather than ignored.
func TestCollectionOptionsFromSpec(t *testing.T) {
	for name, po := range map[string]ebpfvm.ProgramOptions{
		"Type":        {Type: 1},
		"ContextSize": {ContextSize: 8},
		"License":     {License: "GPL"},
		"Maps":        {Maps: []*ebpfvm.Map{}},
	} {
		_, err := ebpfvm.LoadCollection("testdata/globalfunc/globalfunc.o", &ebpfvm.CollectionOptions{Programs: po})
		if !errors.Is(err, syscall.EINVAL) {
			t.Errorf("Programs.%s set: got %v, want EINVAL", name, err)
		}
	}
	_, err := ebpfvm.LoadCollection("testdata/globalfunc/globalfunc.o", &ebpfvm.CollectionOptions{Maps: ebpfvm.MapOptions{NumCPU: 2}})
	if !errors.Is(err, syscall.EINVAL) {
		t.Errorf("Maps.NumCPU set: got %v, want EINVAL", err)
	}
}

// TestVerifyTakesProgramSettings: VerifyInstructions and VerifySpec take
// the rules and budget from ProgramOptions (declared once), and refuse
// what verifies nothing.
func TestVerifyTakesProgramSettings(t *testing.T) {
	leak, _ := isa.Assemble("r0 = r10\nexit")
	if _, err := ebpfvm.VerifyInstructions(leak, &ebpfvm.ProgramOptions{}, nil); err != nil {
		t.Fatalf("privileged: %v", err)
	}
	if _, err := ebpfvm.VerifyInstructions(leak, &ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyUntrusted}, nil); err == nil {
		t.Fatal("untrusted: a pointer leak was accepted")
	}
	if _, err := ebpfvm.VerifyInstructions(leak, &ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone}, nil); err == nil {
		t.Fatal("VerifyNone: accepted, want an error")
	}
	loop, _ := isa.Assemble("r0 = 0\nr0 += 1\nif r0 < 10 goto -2\nexit")
	_, err := ebpfvm.VerifyInstructions(loop, &ebpfvm.ProgramOptions{VerifierBudget: verifier.Budget{Insns: 5}}, nil)
	if err == nil {
		t.Fatal("a budget of 5 processed instructions was not applied")
	}
	spec, err := ebpf.LoadCollectionSpec("testdata/globalfunc/globalfunc.o")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ebpfvm.VerifySpec(spec, "count", &ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{Type: ebpf.XDP}}, nil); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("VerifySpec with Programs.Type: got %v, want EINVAL", err)
	}
}
