package conformance

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ebpfvm/ebpfvm/internal/testing/engines"
)

// suiteDir is where the bpf_conformance files live: $EBPFVM_CONFORMANCE_DIR,
// or ../shared/conformance/bpf_conformance beside the repository.
func suiteDir() string {
	if d := os.Getenv("EBPFVM_CONFORMANCE_DIR"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "..", "shared", "conformance", "bpf_conformance")
}

// TestSuite runs every file of the bpf_conformance suite. Outside CI a
// missing suite skips the test; in CI (CI set) it is an error.
func TestSuite(t *testing.T) {
	suiteDir := suiteDir()
	if _, err := os.Stat(suiteDir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("conformance suite not found at %s (set EBPFVM_CONFORMANCE_DIR): %v", suiteDir, err)
		}
		t.Skipf("conformance suite not found at %s (set EBPFVM_CONFORMANCE_DIR): %v", suiteDir, err)
	}
	tests, skipped, err := Load(suiteDir)
	if err != nil {
		t.Fatal(err)
	}
	for name, why := range skipped {
		t.Errorf("%s skipped: %v", name, why)
	}
	engines.RunChecked(t, func(t *testing.T, e engines.Engine) {
		passed := 0
		for _, tc := range tests {
			t.Run(tc.Name, func(t *testing.T) {
				if err := tc.CheckWith(e.Program(nil)); err != nil {
					t.Fatal(err)
				}
				passed++
			})
		}
		t.Logf("conformance on %s: %d/%d passed", e.Name, passed, len(tests)+len(skipped))
	})
	if len(tests)+len(skipped) != 313 {
		t.Errorf("found %d test files, want 313", len(tests)+len(skipped))
	}
}

func TestParse(t *testing.T) {
	src := "# c\n-- asm\nmov %r0, 1 # one\nexit\n-- mem\n01 02\nff\n-- result\n0x10\n-- result\n5\n"
	tc, err := Parse("x.data", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if tc.Asm != "mov %r0, 1 \nexit\n" || string(tc.Mem) != "\x01\x02\xff" || tc.Result != 5 || !tc.HasResult {
		t.Fatalf("parsed %+v", tc)
	}
	if _, err := Parse("y.data", []byte("-- weird\n")); err == nil {
		t.Fatal("unknown directive accepted")
	}
}
