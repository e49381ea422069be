package corpus

import (
	"sort"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
)

// TestHelpersUsed logs the helpers each corpus program calls (after
// linking its subprograms): the list ebpfvm must implement to run the
// corpus.
func TestHelpersUsed(t *testing.T) {
	objs, err := Objects()
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		spec, err := LoadSpec(obj)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for name := range spec.Programs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			seen := map[string]bool{}
			var helpers []string
			for _, ins := range spec.Programs[name].Instructions {
				if ins.IsBuiltinCall() {
					h := asm.BuiltinFunc(ins.Constant).String()
					if !seen[h] {
						seen[h] = true
						helpers = append(helpers, h)
					}
				}
			}
			sort.Strings(helpers)
			t.Logf("%-14s %-18s %-10s %s", obj, name, spec.Programs[name].Type, strings.Join(helpers, " "))
		}
	}
}
