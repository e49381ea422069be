package ebpfvm

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/internal/engine/interp"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// otherEngine is the interpreter under another name, compiling code that
// says it belongs to otherEngine: a second engine for the tests of the
// rules between engines, before the JIT exists.
type otherEngine struct{ vm.Engine }

func (otherEngine) Name() string { return "other" }

func (e otherEngine) Compile(insns []isa.Instruction, h *vm.Helpers, checked bool, facts vm.Facts) (vm.Code, error) {
	c, err := e.Engine.Compile(insns, h, checked, facts)
	if err != nil {
		return nil, err
	}
	return otherCode{c, e}, nil
}

type otherCode struct {
	vm.Code
	e vm.Engine
}

func (c otherCode) Engine() vm.Engine { return c.e }

// withOtherEngine registers otherEngine as Engine(200) for the test.
func withOtherEngine(t *testing.T) Engine {
	const other = Engine(200)
	engines[other] = otherEngine{interp.Engine}
	t.Cleanup(func() { delete(engines, other) })
	return other
}

// forEachEngine runs body once per engine that exists, in a subtest named
// after it: the in-package counterpart of internal/testing/engines.Run
// (which imports this package, so tests here cannot use it).
func forEachEngine(t *testing.T, body func(t *testing.T, e Engine)) {
	es := slices.Sorted(maps.Keys(engines))
	for _, e := range es {
		t.Run(e.String(), func(t *testing.T) { body(t, e) })
	}
}

// TestProgArrayOneEngine: a prog array holds programs of one engine, as
// the kernel's holds only JITed or only interpreted programs
// (bpf_prog_map_compatible): the first program that uses it decides, and
// a program of another engine is refused, stored in a slot or loaded with
// a reference to the prog array.
func TestProgArrayOneEngine(t *testing.T) {
	other := withOtherEngine(t)
	jump, err := NewMap(&ebpf.MapSpec{Type: ebpf.ProgramArray, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer jump.Close()
	load := func(src string, e Engine, ms ...*Map) (*Program, error) {
		insns, err := isa.Assemble(src)
		if err != nil {
			t.Fatal(err)
		}
		return NewProgram(insns, &ProgramOptions{Type: ebpf.SocketFilter, Engine: e, Maps: ms})
	}
	caller, err := load("r2 = map[fd:0]\nr3 = 0\ncall bpf_tail_call\nr0 = 1\nexit", EngineInterpreter, jump)
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	foreign, err := load("r0 = 2\nexit", other)
	if err != nil {
		t.Fatal(err)
	}
	defer foreign.Close()
	err = jump.Update(uint32(0), foreign, UpdateAny)
	if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), "run by the interp engine, not other") {
		t.Fatalf("storing a program of another engine: got %v, want EINVAL naming both engines", err)
	}
	if _, err := load("r2 = map[fd:0]\nr3 = 0\ncall bpf_tail_call\nr0 = 1\nexit", other, jump); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("loading a program of another engine that uses the prog array: got %v, want EINVAL", err)
	}
	same, err := load("r0 = 3\nexit", EngineInterpreter)
	if err != nil {
		t.Fatal(err)
	}
	defer same.Close()
	if err := jump.Update(uint32(0), same, UpdateAny); err != nil {
		t.Fatalf("storing a program of the prog array's engine: %v", err)
	}
	res, err := caller.Run(&RunOptions{Data: make([]byte, 14)})
	if err != nil || res.ReturnValue != 3 {
		t.Fatalf("tail call: got %d, %v, want 3", res.ReturnValue, err)
	}
}

// TestEngineRunsItsCode: a program runs on machines of the engine that
// compiled it (the runner pools are per engine): the program of the
// second engine runs, which the interpreter's machine would refuse.
func TestEngineRunsItsCode(t *testing.T) {
	other := withOtherEngine(t)
	insns, _ := isa.Assemble("r0 = 7\nexit")
	for _, e := range []Engine{EngineInterpreter, other, EngineInterpreter} {
		p, err := NewProgram(insns, &ProgramOptions{Engine: e})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.code.Engine().Name(); got != engines[e].Name() {
			t.Errorf("Engine %v: code of %s", e, got)
		}
		res, err := p.Run(nil)
		p.Close()
		if e == other {
			// The other engine's machines are the interpreter's,
			// which refuse foreign code: what matters is that
			// the program was not run by an interpreter machine
			// of the pool as if it were its own.
			if err == nil || !strings.Contains(err.Error(), "cannot run code of the other engine") {
				t.Fatalf("other engine: got %v, want the interpreter's refusal", err)
			}
			continue
		}
		if err != nil || res.ReturnValue != 7 {
			t.Fatalf("%v: got %d, %v", e, res.ReturnValue, err)
		}
	}
}
