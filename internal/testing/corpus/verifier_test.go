package corpus

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var record = flag.Bool("corpus.record", false, "write the kernel verifier's verdicts and times (median of 5 loads) to testdata/corpus/kernel-verifier.json")

// TestKernelVerifierStats loads every corpus program into the kernel on
// its own, requires the verifier to accept it, and logs the verifier's
// statistics. With -corpus.record it writes them to
// testdata/corpus/kernel-verifier.json, the reference for comparing
// verifier speed.
func TestKernelVerifierStats(t *testing.T) {
	if err := KernelAvailable(); err != nil {
		t.Skipf("skipping the kernel verifier: %v", err)
	}
	objs, err := Objects()
	if err != nil {
		t.Fatal(err)
	}
	var all []VerifierStat
	for _, obj := range objs {
		loads := 1
		if *record {
			loads = 5
		}
		stats, err := KernelVerifierStats(obj, loads)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range stats {
			if !st.Accepted {
				t.Errorf("%s/%s: the kernel verifier rejects it: %s", st.Object, st.Program, st.Error)
				continue
			}
			t.Logf("%-14s %-18s %-10s %4d insns, %6d processed, %5d states, stack %-10s %6d usec",
				st.Object, st.Program, st.Type, st.Insns, st.Processed, st.TotalStates, st.StackDepth, st.TimeUsec)
		}
		all = append(all, stats...)
	}
	if *record {
		release, _ := os.ReadFile("/proc/sys/kernel/osrelease")
		b, err := json.MarshalIndent(struct {
			Kernel   string         `json:"kernel"`
			Programs []VerifierStat `json:"programs"`
		}{strings.TrimSpace(string(release)), all}, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(Dir(), "kernel-verifier.json")
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}
}
