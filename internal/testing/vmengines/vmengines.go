// Package vmengines lists the engines as vm.Engine values, for the tests of
// packages below the root (internal/helpers), which cannot use
// internal/testing/engines: it imports the root, and the root imports
// them. Through it those tests drive the engine interface and name no
// engine.
package vmengines

import (
	"github.com/ebpfvm/ebpfvm/internal/engine/interp"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// All returns every engine of this build (internal/testing/engines'
// TestAll checks it against the engines the root offers).
func All() []vm.Engine { return []vm.Engine{interp.Engine} }

// Reference returns the engine that runs unverified programs in checked
// mode and that the others are compared with: the interpreter.
func Reference() vm.Engine { return interp.Engine }
