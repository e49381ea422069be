package corpus

import (
	"flag"
	"strings"
	"testing"
)

var show = flag.Bool("corpus.show", false, "log every result in full")

// TestCorpusKernel runs every scenario in the kernel and checks the
// expectations the scenarios record.
func TestCorpusKernel(t *testing.T) {
	if err := KernelAvailable(); err != nil {
		t.Skipf("skipping the kernel engine: %v", err)
	}
	for _, s := range Scenarios() {
		t.Run(s.Name, func(t *testing.T) {
			res, err := Run(KernelEngine{}, s)
			if err != nil {
				t.Fatal(err)
			}
			if *show {
				t.Log(res)
			}
			if err := s.Verify(res); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestScenarioNames checks that scenario names are unique and usable as
// subtest names, and that every corpus object has a scenario.
func TestScenarioNames(t *testing.T) {
	seen := map[string]bool{}
	objects := map[string]bool{}
	for _, s := range Scenarios() {
		if s.Name == "" || strings.ContainsAny(s.Name, " /") || seen[s.Name] {
			t.Errorf("bad or duplicate scenario name %q", s.Name)
		}
		seen[s.Name] = true
		objects[s.Object] = true
	}
	objs, err := Objects()
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if !objects[o] {
			t.Errorf("%s has no scenario", o)
		}
	}
}
