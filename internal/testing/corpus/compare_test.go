package corpus

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
)

// TestCorpusAgainstKernel runs every scenario in ebpfvm, checks the
// scenario's own expectations, and, where bpf() is available, runs it in
// the kernel too and requires identical results. Scenarios listed in
// VMGaps are skipped with their differences logged.
func TestCorpusAgainstKernel(t *testing.T) {
	kernelErr := KernelAvailable()
	if kernelErr != nil {
		t.Logf("the kernel engine is unavailable (%v): checking ebpfvm against the scenarios' expectations only", kernelErr)
	}
	engines.Run(t, func(t *testing.T, e engines.Engine) {
		for _, s := range Scenarios() {
			t.Run(s.Name, func(t *testing.T) {
				problems := compareScenario(t, VMEngine{Options: e.Collection(nil)}, s, kernelErr == nil)
				gap, known := VMGaps[s.Name]
				switch {
				case len(problems) == 0 && known:
					t.Logf("known ebpfvm gap no longer shows: remove %q from VMGaps (%s)", s.Name, gap)
				case len(problems) == 0:
				case known:
					t.Skipf("known ebpfvm gap: %s\n%s", gap, strings.Join(problems, "\n"))
				default:
					t.Error(strings.Join(problems, "\n"))
				}
			})
		}
	})
}

// compareScenario runs s on ebpfvm's engine e (and in the kernel if
// withKernel) and returns what went wrong.
func compareScenario(t *testing.T, e VMEngine, s *Scenario, withKernel bool) []string {
	vm, err := Run(e, s)
	if err != nil {
		if errors.Is(err, errors.ErrUnsupported) {
			return []string{fmt.Sprintf("ebpfvm: unsupported: %v", err)}
		}
		return []string{fmt.Sprintf("ebpfvm: %v", err)}
	}
	if *show {
		t.Log(vm)
	}
	var problems []string
	if err := s.Verify(vm); err != nil {
		problems = append(problems, fmt.Sprintf("ebpfvm does not do what the scenario expects: %v", err))
	}
	if !withKernel {
		return problems
	}
	k, err := Run(KernelEngine{}, s)
	if err != nil {
		t.Fatalf("kernel: %v", err)
	}
	if diffs := Compare(k, vm); len(diffs) > 0 {
		problems = append(problems, "ebpfvm differs from the kernel:\n"+strings.Join(diffs, "\n"))
	}
	return problems
}
