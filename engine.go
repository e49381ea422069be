package ebpfvm

import (
	"fmt"
	"syscall"

	"github.com/ebpfvm/ebpfvm/internal/engine/interp"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// Engine chooses what runs a program's instructions
// (ProgramOptions.Engine).
type Engine uint8

const (
	// EngineAuto runs a program on the best engine the platform and the
	// program allow. Today that is always the interpreter; once the JIT
	// exists, it will be the JIT for verified programs on platforms it
	// supports, and the interpreter otherwise (checked mode is the
	// interpreter's).
	EngineAuto Engine = iota
	// EngineInterpreter decodes the program once and interprets it.
	EngineInterpreter
)

// engines are the engines that exist, by Engine.
var engines = map[Engine]vm.Engine{EngineInterpreter: interp.Engine}

// engineNames are the names ParseEngine accepts and String gives.
var engineNames = map[Engine]string{EngineAuto: "auto", EngineInterpreter: "interp"}

// String is the engine's name as ebpfvm run --engine spells it.
func (e Engine) String() string {
	if n, ok := engineNames[e]; ok {
		return n
	}
	return fmt.Sprintf("Engine(%d)", uint8(e))
}

// ParseEngine returns the engine named name ("auto", "interp"), as
// Engine.String spells it.
func ParseEngine(name string) (Engine, error) {
	for e, n := range engineNames {
		if n == name {
			return e, nil
		}
	}
	if name == "jit" {
		return 0, fmt.Errorf("engine %q is not available yet (have: auto, interp)", name)
	}
	return 0, fmt.Errorf("unknown engine %q (have: auto, interp)", name)
}

// pick returns the engine that runs a program loaded with e; verified
// says whether the verifier accepted it (an engine may run only verified
// code).
func (e Engine) pick(verified bool) (vm.Engine, error) {
	if e == EngineAuto {
		return engines[EngineInterpreter], nil
	}
	if ve, ok := engines[e]; ok {
		return ve, nil
	}
	return nil, fmt.Errorf("%v does not exist: %w", e, syscall.EINVAL)
}
