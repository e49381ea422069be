// Package engines runs a test body once per execution engine, so that a
// new engine is tested by the whole suite on its first day: the
// conformance suite, the kernel corpus, the differential test, the
// program-type cases and the lifetime and concurrency tests all take their
// engine from here.
//
// An engine is added in one place, the list returned by All.
package engines

import (
	"testing"

	"github.com/ebpfvm/ebpfvm"
)

// Engine is one execution engine the suite runs programs on.
type Engine struct {
	// Name names the engine in subtest names and messages ("interp").
	Name string
	// Checked reports whether the engine also runs unverified programs
	// (ProgramOptions.Verify = VerifyNone), checking every access; an
	// engine that runs only verified programs refuses them at load.
	Checked bool
	// inProgram and inCollection set the engine in a program's and a
	// collection's options.
	inProgram    func(*ebpfvm.ProgramOptions)
	inCollection func(*ebpfvm.CollectionOptions)
}

// interpreter is ebpfvm's interpreter: it runs verified programs without
// per-access checks and unverified ones in checked mode.
var interpreter = Engine{
	Name:         "interp",
	Checked:      true,
	inProgram:    func(o *ebpfvm.ProgramOptions) { o.Engine = ebpfvm.EngineInterpreter },
	inCollection: func(o *ebpfvm.CollectionOptions) { o.Programs.Engine = ebpfvm.EngineInterpreter },
}

// All returns every engine of this build, the first being the default.
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
	e.inProgram(&c)
	return &c
}

// Collection returns a copy of o (nil for the zero options) whose programs
// run on e.
func (e Engine) Collection(o *ebpfvm.CollectionOptions) *ebpfvm.CollectionOptions {
	var c ebpfvm.CollectionOptions
	if o != nil {
		c = *o
	}
	e.inCollection(&c)
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

// Pairs returns every unordered pair of distinct engines (none while there
// is only one engine).
func Pairs() [][2]Engine {
	all := All()
	var pairs [][2]Engine
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			pairs = append(pairs, [2]Engine{all[i], all[j]})
		}
	}
	return pairs
}
