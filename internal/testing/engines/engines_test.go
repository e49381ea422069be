package engines

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/internal/testing/vmengines"
)

// TestAll: All names every engine ebpfvm has (every Engine value with a
// name, but auto), once, under that name, and the reference among them.
func TestAll(t *testing.T) {
	var names []string
	for _, e := range All() {
		if e.Name != e.Engine.String() {
			t.Errorf("engine %q selects %v", e.Name, e.Engine)
		}
		if slices.Contains(names, e.Name) {
			t.Errorf("engine %q listed twice", e.Name)
		}
		names = append(names, e.Name)
	}
	for v := range 256 {
		e := ebpfvm.Engine(v)
		if e == ebpfvm.EngineAuto || e.String() == fmt.Sprintf("Engine(%d)", v) {
			continue
		}
		if _, err := ebpfvm.ParseEngine(e.String()); err != nil {
			continue // named, but not available in this build
		}
		if !slices.Contains(names, e.String()) {
			t.Errorf("ebpfvm has engine %v, which engines.All leaves out: add it so that the suite runs on it", e)
		}
	}
	if !slices.Contains(names, Reference().Name) || !Reference().Checked {
		t.Errorf("the reference %q must be one of All (%v) and run checked mode", Reference().Name, names)
	}
	// The tests below the root see the same engines as vm.Engine values.
	var vmNames []string
	for _, e := range vmengines.All() {
		vmNames = append(vmNames, e.Name())
	}
	if !slices.Equal(vmNames, names) || vmengines.Reference().Name() != Reference().Name {
		t.Errorf("vmengines: %v, reference %s; engines: %v, reference %s", vmNames, vmengines.Reference().Name(), names, Reference().Name)
	}
}

// TestOptions: Program and Collection select the engine in a copy and
// keep the other settings.
func TestOptions(t *testing.T) {
	for _, e := range All() {
		in := &ebpfvm.ProgramOptions{NumCPU: 3, Verify: ebpfvm.VerifyNone}
		out := e.Program(in)
		if out == in || out.Engine != e.Engine || out.NumCPU != 3 || out.Verify != ebpfvm.VerifyNone || in.Engine != ebpfvm.EngineAuto {
			t.Errorf("%s: Program(%+v) = %+v", e.Name, in, out)
		}
		if e.Program(nil).Engine != e.Engine {
			t.Errorf("%s: Program(nil) does not select it", e.Name)
		}
		cin := &ebpfvm.CollectionOptions{Load: []string{"x"}}
		cout := e.Collection(cin)
		if cout == cin || cout.Programs.Engine != e.Engine || len(cout.Load) != 1 || cin.Programs.Engine != ebpfvm.EngineAuto {
			t.Errorf("%s: Collection(%+v) = %+v", e.Name, cin, cout)
		}
	}
}

// TestModes: a checked engine runs both modes, others only verified.
func TestModes(t *testing.T) {
	for _, c := range []struct {
		e    Engine
		want []ebpfvm.VerifyMode
	}{
		{Engine{Checked: true}, []ebpfvm.VerifyMode{ebpfvm.VerifyPrivileged, ebpfvm.VerifyNone}},
		{Engine{}, []ebpfvm.VerifyMode{ebpfvm.VerifyPrivileged}},
	} {
		if got := c.e.Modes(); !slices.Equal(got, c.want) {
			t.Errorf("Checked %v: Modes() = %v, want %v", c.e.Checked, got, c.want)
		}
	}
}
