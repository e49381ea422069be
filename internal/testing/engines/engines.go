// Package engines runs a test body once per execution engine, so that a
// new engine is tested by the whole suite on its first day: the
// conformance suite, the kernel corpus, the differential test, the
// program-type cases and the lifetime and concurrency tests all take their
// engine from here.
//
// A new engine is added to All here and to vmengines.All (the same list as
// vm.Engine values, for the tests below the root); TestAll checks both
// against the engines the root offers.
package engines

import (
	"testing"

	"github.com/ebpfvm/ebpfvm"
)

// Engine is one execution engine the suite runs programs on.
type Engine struct {
	// Name names the engine in subtest names and messages, as
	// ebpfvm.Engine.String spells it ("interp").
	Name string
	// Engine is the public option that selects it.
	Engine ebpfvm.Engine
	// Checked reports whether the engine also runs unverified programs
	// (ProgramOptions.Verify = VerifyNone), checking every access; an
	// engine that runs only verified programs refuses them at load.
	Checked bool
}

// interpreter is ebpfvm's interpreter: it runs verified programs without
// per-access checks and unverified ones in checked mode.
var interpreter = Engine{Name: "interp", Engine: ebpfvm.EngineInterpreter, Checked: true}

// All returns every engine of this build (TestAll checks that it names
// every engine ebpfvm.ParseEngine knows but "auto").
func All() []Engine { return []Engine{interpreter} }

// Reference returns the engine the others are compared with: the
// interpreter, which runs checked mode and which internal/testing/difftest
// compares with the kernel.
func Reference() Engine { return interpreter }

// Program returns a copy of o (nil for the zero options) that selects e.
func (e Engine) Program(o *ebpfvm.ProgramOptions) *ebpfvm.ProgramOptions {
	var c ebpfvm.ProgramOptions
	if o != nil {
		c = *o
	}
	c.Engine = e.Engine
	return &c
}

// Collection returns a copy of o (nil for the zero options) whose programs
// run on e.
func (e Engine) Collection(o *ebpfvm.CollectionOptions) *ebpfvm.CollectionOptions {
	var c ebpfvm.CollectionOptions
	if o != nil {
		c = *o
	}
	c.Programs.Engine = e.Engine
	return &c
}

// Run runs body once per engine, each in a subtest named after the engine.
func Run(t *testing.T, body func(t *testing.T, e Engine)) {
	t.Helper()
	for _, e := range All() {
		t.Run(e.Name, func(t *testing.T) { body(t, e) })
	}
}

// RunChecked is Run over the engines that run unverified programs: a test
// of checked mode (the conformance suite, the differential test) says so
// by calling it, and the engines it leaves out are named in the log.
func RunChecked(t *testing.T, body func(t *testing.T, e Engine)) {
	t.Helper()
	for _, e := range All() {
		if !e.Checked {
			t.Logf("engine %s runs only verified programs: not part of this checked-mode test", e.Name)
			continue
		}
		t.Run(e.Name, func(t *testing.T) { body(t, e) })
	}
}

// Modes returns the verifier modes e runs programs in: verified (no
// per-access checks) and, if e is Checked, unverified (checked mode). A
// test that loops over both modes ranges over it.
func (e Engine) Modes() []ebpfvm.VerifyMode {
	if e.Checked {
		return []ebpfvm.VerifyMode{ebpfvm.VerifyPrivileged, ebpfvm.VerifyNone}
	}
	return []ebpfvm.VerifyMode{ebpfvm.VerifyPrivileged}
}
