package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const autoloadObject = "../../testdata/autoload/autoload.o"

// TestRunLoadsNamedProgram: run, verify and disasm with PROG work on the
// named program although another program of the object is rejected by
// the verifier; that one is rejected with the verifier's message.
func TestRunLoadsNamedProgram(t *testing.T) {
	pkt := filepath.Join(t.TempDir(), "pkt")
	if err := os.WriteFile(pkt, make([]byte, 64), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args      []string
		code      int
		stdout    string // substring
		stderr    string // substring
		notStderr string
	}{
		// xdp_good tail-calls xdp_target (XDP_TX), loaded with it.
		{[]string{"run", "--data", pkt, autoloadObject, "xdp_good"}, 0, "retval: 3 (0x3)", "", "xdp_bad"},
		{[]string{"run", "--data", pkt, autoloadObject, "xdp_bad"}, 1, "", "invalid access to packet, off=0 size=1", ""},
		{[]string{"verify", autoloadObject, "xdp_good"}, 0, "accepted", "", ""},
		{[]string{"verify", autoloadObject, "xdp_bad"}, 1, "R6 offset is outside of the packet", "invalid access to packet", ""},
		{[]string{"verify", "--log-level=0", autoloadObject}, 1, "xdp_good: accepted", "program xdp_bad: verifier", ""},
		{[]string{"disasm", autoloadObject, "xdp_good"}, 0, "call bpf_tail_call", "", ""},
		{[]string{"run", autoloadObject}, 2, "", "holds 3 programs: name one of xdp_bad, xdp_good, xdp_target", ""},
	}
	for _, c := range cases {
		code, out, errOut := runMain(t, "", c.args...)
		if code != c.code || !strings.Contains(out, c.stdout) || !strings.Contains(errOut, c.stderr) ||
			(c.notStderr != "" && strings.Contains(errOut, c.notStderr)) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr with %q", c.args, code, out, errOut, c.code, c.stdout, c.stderr)
		}
	}
}
