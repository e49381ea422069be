package interp

import (
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// Engine is the interpreter as a vm.Engine.
var Engine vm.Engine = engine{}

// engine implements vm.Engine: Compile decodes, NewMachine allocates a
// stack and frames.
type engine struct{}

func (engine) Name() string { return "interp" }

func (engine) Compile(insns []isa.Instruction, h *vm.Helpers, checked bool, facts vm.Facts) (vm.Code, error) {
	if checked {
		return Compile(insns, h)
	}
	return CompileVerified(insns, h, facts)
}

func (engine) NewMachine() (vm.Machine, error) {
	m, err := NewMachine()
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Engine returns the interpreter engine.
func (c *Code) Engine() vm.Engine { return Engine }

// Env returns the run state helpers see.
func (m *Machine) Env() *vm.Env { return &m.env }
