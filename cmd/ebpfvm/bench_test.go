package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBench(t *testing.T) {
	dir := t.TempDir()
	jsonFile, svgFile := filepath.Join(dir, "b.json"), filepath.Join(dir, "b.svg")
	code, out, errOut := runMain(t, "", "bench", "--engines", "interp,jit", "--filter", "^(primes|crc32)$",
		"--rounds", "1", "--time", "1ms", "--growth=false", "--json", jsonFile, "--svg", svgFile)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"primes", "crc32", "ebpfvm interp", "ebpfvm JIT: n/a", "Fixed cost of a run"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "[1/3] primes") && !strings.Contains(errOut, "[ 1/3] primes") {
		t.Errorf("no progress on stderr: %q", errOut)
	}
	b, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			Name     string `json:"name"`
			Checksum uint32 `json:"checksum"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &rep); err != nil || len(rep.Results) != 2 || rep.Results[0].Name != "primes" {
		t.Errorf("JSON: %v, %s", err, b)
	}
	svg, err := os.ReadFile(svgFile)
	if err != nil || !strings.HasPrefix(string(svg), "<svg") {
		t.Errorf("SVG: %v, %.100s", err, svg)
	}

	// --from prints the same tables from the JSON, measuring nothing.
	svg2 := filepath.Join(dir, "again.svg")
	code, again, errOut := runMain(t, "", "bench", "--from", jsonFile, "--svg", svg2)
	if code != 0 || again != out {
		t.Errorf("--from: exit %d, stderr %q, output:\n%s\nwant:\n%s", code, errOut, again, out)
	}
	if b, err := os.ReadFile(svg2); err != nil || string(b) != string(svg) {
		t.Errorf("--from: the SVG differs (%v)", err)
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"bench", "--engines", "llvm"},
		{"bench", "--filter", "no-such-program"},
		{"bench", "--filter", "("},
		{"bench", "extra"},
		{"bench", "--unverified", "--untrusted"},
		// Values the suite cannot use are refused, not replaced.
		{"bench", "--rounds", "0"},
		{"bench", "--rounds", "-3"},
		{"bench", "--time", "-1s"},
		{"bench", "--time", "0s"},
		{"bench", "--cpu", "-5"},
		{"bench", "--engines", "interp,interp"},
		{"bench", "--from", "report.json", "--rounds", "3"},
	} {
		if code, _, errOut := runMain(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2 (stderr %q)", args, code, errOut)
		}
	}
	code, _, errOut := runMain(t, "", "bench", "--engines", "jit", "--quiet")
	if code != 1 || !strings.Contains(errOut, "no engine can run here (ebpfvm JIT: ebpfvm has no JIT yet)") {
		t.Errorf("only the JIT: exit %d, stderr %q", code, errOut)
	}
}

// TestBenchModes: the interp engine verifies; --unverified and
// --untrusted turn it into interp-checked and interp-untrusted.
func TestBenchModes(t *testing.T) {
	for flag, label := range map[string]string{"--unverified": "ebpfvm interp, checked", "--untrusted": "ebpfvm interp, untrusted"} {
		code, out, errOut := runMain(t, "", "bench", "--engines", "interp", flag, "--filter", "^crc32$",
			"--rounds", "1", "--time", "1ms", "--growth=false", "--overhead=false", "--quiet")
		if code != 0 || !strings.Contains(out, label) {
			t.Errorf("%s: exit %d, stderr %q, output:\n%s", flag, code, errOut, out)
		}
	}
}
