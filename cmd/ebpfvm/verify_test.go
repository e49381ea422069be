package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/isa"
)

const corpusDir = "../../testdata/corpus"

func writeRaw(t *testing.T, src string) string {
	t.Helper()
	insns, err := isa.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "prog.bin")
	if err := os.WriteFile(path, isa.Encode(nil, insns), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVerify(t *testing.T) {
	// An ELF program the kernel accepts.
	code, out, errOut := runMain(t, "", "verify", filepath.Join(corpusDir, "xdp_adjust.o"), "xdp_meta")
	if code != 0 || !strings.Contains(out, "accepted: 26 insns processed") || !strings.Contains(out, "from 18 to 24: safe") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Level 2: every instruction with its state; level 0: the verdict only.
	code, out, _ = runMain(t, "", "verify", "--log-level", "2", filepath.Join(corpusDir, "xdp_adjust.o"), "xdp_meta")
	if code != 0 || !strings.Contains(out, "0: (bf) r6 = r1                       ; R6_w=ctx()") {
		t.Fatalf("level 2: exit %d, stdout %q", code, out)
	}
	code, out, _ = runMain(t, "", "verify", "--log-level=0", filepath.Join(corpusDir, "xdp_adjust.o"), "xdp_meta")
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("level 0: exit %d, stdout %q", code, out)
	}
	// Every program of an object.
	code, out, errOut = runMain(t, "", "verify", "--log-level=0", filepath.Join(corpusDir, "tailcall.o"))
	if code != 0 || strings.Count(out, "accepted") != 8 || !strings.Contains(out, "program xdp_dispatch:\n") {
		t.Fatalf("all programs: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// Raw bytecode: the generic type, rejected with the kernel's message.
	oob := writeRaw(t, "r0 = *(u64 *)(r1 +0)\nexit")
	code, out, errOut = runMain(t, "", "verify", "--raw", oob)
	if code != 1 || !strings.Contains(out, "invalid bpf_context access off=0 size=8") || !strings.Contains(out, "rejected: verifier: instruction 0:") ||
		!strings.Contains(errOut, "instruction 0") {
		t.Fatalf("raw reject: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, errOut = runMain(t, "", "verify", "--raw", "--ctx-size", "8", oob)
	if code != 0 || !strings.Contains(out, "accepted") {
		t.Fatalf("raw with --ctx-size 8: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// --type for raw bytecode.
	code, out, _ = runMain(t, "", "verify", "--raw", "--type", "xdp", writeRaw(t, "r2 = *(u32 *)(r1 +0)\nr0 = 2\nexit"))
	if code != 0 {
		t.Fatalf("raw xdp: exit %d, stdout %q", code, out)
	}

	// --untrusted: a pointer leak that root may do.
	leak := writeRaw(t, "r0 = r10\nexit")
	if code, out, errOut = runMain(t, "", "verify", "--raw", leak); code != 0 {
		t.Fatalf("privileged leak: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runMain(t, "", "verify", "--raw", "--untrusted", leak)
	if code != 1 || !strings.Contains(out, "R0 leaks addr as return value") {
		t.Fatalf("untrusted leak: exit %d, stdout %q", code, out)
	}

	// Usage errors.
	for _, args := range [][]string{
		{"verify"},
		{"verify", "--log-level", "3", oob},
		{"verify", "--raw", "--type", "kprobe", oob},
		{"verify", "--type", "xdp", filepath.Join(corpusDir, "xdp_adjust.o")},
	} {
		if code, _, _ := runMain(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	if code, _, _ := runMain(t, "", "verify", filepath.Join(corpusDir, "xdp_adjust.o"), "nosuch"); code != 1 {
		t.Errorf("unknown program: exit %d, want 1", code)
	}
}
