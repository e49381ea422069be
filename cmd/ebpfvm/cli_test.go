package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelp: --help on every command, and help COMMAND, exit 0 with the
// command's usage.
func TestHelp(t *testing.T) {
	for _, c := range commands {
		for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
			code, _, errOut := runMain(t, "", args...)
			if code != 0 || !strings.Contains(errOut, "usage: ebpfvm "+c.name) {
				t.Errorf("%q: exit %d, stderr %q; want 0 and the usage of %s", args, code, errOut, c.name)
			}
		}
	}
	if code, _, errOut := runMain(t, "", "help"); code != 0 || !strings.Contains(errOut, "commands:") {
		t.Errorf("help: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runMain(t, "", "help", "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("help frobnicate: exit %d, stderr %q", code, errOut)
	}
}

// TestRunRawType: --type gives raw bytecode a program type, its context
// and its helpers.
func TestRunRawType(t *testing.T) {
	// bpf_xdp_adjust_head(ctx, 14) pops the Ethernet header.
	prog := writeRaw(t, "r2 = 14\ncall bpf_xdp_adjust_head\nexit")
	pkt := write(t, t.TempDir(), "pkt", bytes.Repeat([]byte{0xab}, 60))
	code, out, errOut := runMain(t, "", "run", "--raw", "--type", "xdp", "--data", pkt, prog)
	if code != 0 || out != "retval: 0 (0x0)\ndata_out: "+strings.Repeat("ab", 46)+"\n" {
		t.Errorf("xdp: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// The generic type has no such helper.
	if code, _, errOut := runMain(t, "", "run", "--raw", "--data", pkt, prog); code != 1 || !strings.Contains(errOut, "program of this type cannot use helper bpf_xdp_adjust_head#44") {
		t.Errorf("generic: exit %d, stderr %q", code, errOut)
	}
	for _, args := range [][]string{
		{"run", "--raw", "--type", "kprobe", prog},
		{"run", "--type", "xdp", autoloadObject, "xdp_good"},
	} {
		if code, _, errOut := runMain(t, "", args...); code != 2 || !strings.Contains(errOut, "--type") {
			t.Errorf("%q: exit %d, stderr %q; want 2", args, code, errOut)
		}
	}
}

// TestRunOutput: run shows the packet after the run without --json, and
// with --dump-maps and --ringbuf the maps and ring buffer records.
func TestRunOutput(t *testing.T) {
	dir := t.TempDir()
	pkt := write(t, dir, "pkt", make([]byte, 64))
	code, out, errOut := runMain(t, "", "run", "--dump-maps", "--repeat", "3", "--data", pkt, autoloadObject, "xdp_good")
	want := "retval: 3 (0x3)\ndata_out: " + strings.Repeat("00", 64) + "\n"
	if code != 0 || !strings.HasPrefix(out, want) ||
		!strings.Contains(out, "map good_runs: Array, key 4 bytes, value 8 bytes, max entries 1\n  00000000: 0300000000000000\n") ||
		!strings.Contains(out, "map jumps: ProgramArray") || strings.Contains(out, "bad_seen") {
		t.Errorf("--dump-maps: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// An IPv4/UDP frame: ringbuf.o's program submits a flow record
	// (kind 1) and a sample (kind 2) of it.
	frame := append([]byte{0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 8, 0,
		0x45, 0, 0, 28, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2}, make([]byte, 30)...)
	ipPkt := write(t, dir, "ip", frame)
	code, out, errOut = runMain(t, "", "run", "--ringbuf", "--data", ipPkt, filepath.Join(corpusDir, "ringbuf.o"))
	if code != 0 || !strings.Contains(out, "ringbuf events: 2 records\n  0: 01000000") || !strings.Contains(out, "\n  1: 02000000") {
		t.Errorf("--ringbuf: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// A frame that is neither IPv4 nor IPv6: the program reserves a
	// record and discards it, which leaves bytes in the ring but no
	// record to read.
	code, out, errOut = runMain(t, "", "run", "--ringbuf", "--data", pkt, filepath.Join(corpusDir, "ringbuf.o"))
	if code != 0 || !strings.Contains(out, "ringbuf events: 0 records\n") {
		t.Errorf("--ringbuf, discarded record: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, args := range [][]string{
		{"run", "--json", "--dump-maps", "--data", pkt, autoloadObject, "xdp_good"},
		{"run", "--ringbuf", "--data", pkt, autoloadObject, "xdp_good"},
		{"run", "--raw", "--dump-maps", filepath.Join(samples, "primes.bin")},
	} {
		if code, _, errOut := runMain(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, stderr %q; want 2", args, code, errOut)
		}
	}
}

// TestRunProgress: --progress shows the runs done on standard error.
func TestRunProgress(t *testing.T) {
	savedDelay, savedInterval := progressDelay, progressInterval
	progressDelay, progressInterval = 0, 0
	defer func() { progressDelay, progressInterval = savedDelay, savedInterval }()
	prog := writeRaw(t, "r0 = 1\nexit")
	code, out, errOut := runMain(t, "", "run", "--raw", "--progress", "--repeat", "40", prog)
	if code != 0 || !strings.HasPrefix(errOut, "run 1/40 (2%)") || !strings.Contains(errOut, "run 40/40 (100%)") || !strings.Contains(out, "retval: 1") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Not on a terminal, no progress unless asked.
	if code, _, errOut := runMain(t, "", "run", "--raw", "--repeat", "40", prog); code != 0 || errOut != "" {
		t.Errorf("without --progress: exit %d, stderr %q", code, errOut)
	}
}

// TestBadInputs: inputs a user may get wrong give a clear error and the
// right exit status, never a hang or a crash.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	primes := filepath.Join(samples, "primes.bin")
	empty := write(t, dir, "empty", nil)
	obj, err := os.ReadFile(autoloadObject)
	if err != nil {
		t.Fatal(err)
	}
	truncated := write(t, dir, "truncated.o", obj[:len(obj)/2])
	header := write(t, dir, "header.o", obj[:40])
	loop := writeRaw(t, "r0 = 0\nr0 += 1\nif r0 < 100000 goto -2\nexit")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--data", "/dev/zero", autoloadObject, "xdp_good"}, 1, "--data /dev/zero: more than 3552 bytes: XDP programs take a packet of at most 3552 bytes"},
		{[]string{"run", "--ctx", "/dev/zero", autoloadObject, "xdp_good"}, 1, "--ctx /dev/zero: more than 4096 bytes: XDP programs take a context of at most 4096 bytes"},
		{[]string{"run", "--raw", "--mem", "/dev/zero", primes}, 1, "--mem /dev/zero: more than 67108864 bytes: ebpfvm run reads at most 64 MiB of context for generic programs"},
		{[]string{"run", "--raw", "--data", dir, primes}, 1, "--data: read " + dir + ": is a directory"},
		{[]string{"run", dir}, 1, "is a directory"},
		{[]string{"run", "/dev/zero"}, 1, "/dev/zero: more than 67108864 bytes: ebpfvm reads ELF objects of at most 64 MiB"},
		{[]string{"run", "--raw", "/dev/zero"}, 1, "raw bytecode is at most 1000000 instructions"},
		{[]string{"asm", "/dev/zero"}, 1, "/dev/zero: more than 67108864 bytes"},
		{[]string{"run", "--raw", empty}, 1, empty + " is empty"},
		{[]string{"run", truncated}, 1, fmt.Sprintf("truncated ELF object: %d bytes, but its", len(obj)/2)},
		{[]string{"run", header}, 1, "truncated ELF object: 40 bytes, shorter than the 64-byte ELF header"},
		{[]string{"run", "--raw", "--repeat", "4294967296", primes}, 2, "--repeat must be 1 to 4294967295"},
		{[]string{"run", "--raw", "--repeat", "99999999999", primes}, 2, "--repeat must be 1 to 4294967295"},
		{[]string{"run", "--raw", "--max-insns", "1000", loop}, 1, "instruction budget exhausted\n(a run may execute at most 1000 instructions: --max-insns sets the budget)"},
		{[]string{"conformance-plugin", "--program"}, 2, "--program needs"},
		{[]string{"conformance-plugin", "00", "01"}, 2, "one MEMHEX argument"},
	}
	for _, c := range cases {
		code, _, errOut := runMain(t, "", c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut, c.code, c.want)
		}
	}
	// A program on an endless standard input without a newline.
	var out, errOut bytes.Buffer
	if code := Main([]string{"conformance-plugin"}, zeros{}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "a line of more than") {
		t.Errorf("endless stdin: exit %d, stderr %q", code, errOut.String())
	}
}

// zeros is an endless reader of '0' characters.
type zeros struct{}

func (zeros) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = '0'
	}
	return len(b), nil
}

// TestVerifyBudget: a program over the verifier's budget is rejected with
// a pointer to the flag that sets it; negative sizes are refused.
func TestVerifyBudget(t *testing.T) {
	code, out, errOut := runMain(t, "", "verify", "--log-level=0", "--verifier-max-insns", "5", autoloadObject, "xdp_good")
	if code != 1 || !strings.Contains(out, "BPF program is too large") ||
		!strings.Contains(errOut, "(the verifier processes at most 5 instructions: --verifier-max-insns sets the budget)") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, args := range [][]string{
		{"verify", "--verifier-max-insns", "-1", autoloadObject},
		{"verify", "--raw", "--ctx-size", "-5", filepath.Join(samples, "primes.bin")},
	} {
		if code, _, errOut := runMain(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, stderr %q; want 2", args, code, errOut)
		}
	}
}
