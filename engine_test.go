package ebpfvm_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/isa"
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
}
