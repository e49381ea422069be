package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ebpfvm/ebpfvm/isa"
)

func runMain(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

const samples = "../../testdata/samples"

// TestSamplesAreAssembled keeps the committed .bin files in step with their
// sources.
func TestSamplesAreAssembled(t *testing.T) {
	for _, name := range []string{"primes", "checksum"} {
		src, err := os.ReadFile(filepath.Join(samples, name+".s"))
		if err != nil {
			t.Fatal(err)
		}
		insns, err := isa.Assemble(string(src))
		if err != nil {
			t.Fatalf("%s.s: %v", name, err)
		}
		bin, err := os.ReadFile(filepath.Join(samples, name+".bin"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(isa.Encode(nil, insns), bin) {
			t.Errorf("%s.bin is stale: run 'go run ./cmd/ebpfvm asm -o testdata/samples/%s.bin testdata/samples/%s.s'", name, name, name)
		}
	}
}

func TestRun(t *testing.T) {
	code, out, errOut := runMain(t, "", "run", "--raw", filepath.Join(samples, "primes.bin"))
	if code != 0 || out != "retval: 168 (0xa8)\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	for _, engine := range []string{"auto", "interp"} {
		code, out, errOut := runMain(t, "", "run", "--engine", engine, "--raw", filepath.Join(samples, "primes.bin"))
		if code != 0 || out != "retval: 168 (0xa8)\n" {
			t.Fatalf("--engine %s: exit %d, stdout %q, stderr %q", engine, code, out, errOut)
		}
	}
	// Flags after the positional argument, --mem, --json and --repeat.
	// The checksum walks its context with a variable offset, which the
	// verifier refuses (as the kernel's does): it runs unverified.
	code, out, errOut = runMain(t, "", "run", filepath.Join(samples, "checksum.bin"), "--raw", "--unverified",
		"--mem", filepath.Join(samples, "ipv4-header.bin"), "--json", "--repeat", "3")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var res struct {
		Retval     uint64 `json:"retval"`
		DurationNS int64  `json:"duration_ns"`
		DataOut    string `json:"data_out"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !strings.HasSuffix(out, "}\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("not one JSON line: %q (%v)", out, err)
	}
	if res.Retval != 0x26cf || res.DurationNS <= 0 {
		t.Fatalf("result %+v", res)
	}
}

func TestRunData(t *testing.T) {
	dir := t.TempDir()
	// r0 = LD_ABS byte 1 of the packet; exit.
	code := isa.Encode(nil, []isa.Instruction{{Opcode: 0x30, Imm: 1}, isa.Exit()})
	write(t, dir, "p.bin", code)
	write(t, dir, "pkt", []byte{9, 42, 7})
	// LD_ABS is no instruction of the generic type to the verifier.
	c, out, errOut := runMain(t, "", "run", "--raw", "--unverified", "--json", "--data", filepath.Join(dir, "pkt"), filepath.Join(dir, "p.bin"))
	if c != 0 || out != `{"retval":42,"duration_ns":`+out[len(`{"retval":42,"duration_ns":`):] || !strings.Contains(out, `"data_out":"092a07"`) {
		t.Fatalf("exit %d, stdout %q, stderr %q", c, out, errOut)
	}
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	oob := write(t, dir, "oob.bin", isa.Encode(nil, []isa.Instruction{isa.LoadMem(isa.SizeDW, isa.R0, isa.R1, 64), isa.Exit()}))
	leak := write(t, dir, "leak.bin", isa.Encode(nil, []isa.Instruction{isa.Mov64Reg(isa.R0, isa.R10), isa.Exit()}))
	bad := write(t, dir, "bad.bin", []byte{1, 2, 3})
	elf := write(t, dir, "x.o", []byte("\x7fELF...."))
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"run", "--raw", oob}, 1, "verifier: instruction 0: invalid bpf_context access off=64 size=8\n(the verifier rejected the program; --unverified runs it in checked mode)"},
		{[]string{"run", "--raw", "--unverified", oob}, 1, "instruction 0 (r0 = *(u64 *)(r1 +64))"},
		{[]string{"run", "--raw", "--untrusted", leak}, 1, "verifier: instruction 1: R0 leaks addr as return value"},
		{[]string{"run", "--raw", "--unverified", "--untrusted", oob}, 2, "exclude each other"},
		{[]string{"run", "--raw", bad}, 1, "not a multiple of 8"},
		{[]string{"run", oob}, 1, "use --raw"},
		{[]string{"run", "--raw", oob, "prog"}, 2, "makes no sense"},
		{[]string{"run", "--raw", elf}, 1, "drop --raw"},
		{[]string{"run", "--raw", "--engine", "llvm", oob}, 2, `--engine: unknown engine "llvm" (have: auto, interp)`},
		{[]string{"run", "--raw", "--engine", "jit", oob}, 2, `--engine: engine "jit" is not available yet`},
		{[]string{"run", "--raw", "--repeat", "0", oob}, 2, "--repeat"},
		{[]string{"run", "--bogus", oob}, 2, "flag provided but not defined"},
		{[]string{"run"}, 2, "want OBJ"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"asm", filepath.Join(dir, "missing.s")}, 1, "no such file"},
	}
	for _, c := range cases {
		code, _, errOut := runMain(t, "", c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", c.args, code, errOut, c.code, c.want)
		}
	}
}

// TestRunVerifies: run verifies by default (raw bytecode against the
// context it is given), --untrusted with the stricter rules.
func TestRunVerifies(t *testing.T) {
	dir := t.TempDir()
	read := write(t, dir, "read.bin", isa.Encode(nil, []isa.Instruction{isa.LoadMem(isa.SizeDW, isa.R0, isa.R1, 64), isa.Exit()}))
	leak := write(t, dir, "leak.bin", isa.Encode(nil, []isa.Instruction{isa.Mov64Reg(isa.R0, isa.R10), isa.Exit()}))
	ctx := make([]byte, 72)
	ctx[64] = 9
	ctxFile := write(t, dir, "ctx", ctx)
	if code, out, errOut := runMain(t, "", "run", "--raw", "--ctx", ctxFile, read); code != 0 || out != "retval: 9 (0x9)\n" {
		t.Errorf("a read inside the context: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if code, _, errOut := runMain(t, "", "run", "--raw", leak); code != 0 {
		t.Errorf("privileged: exit %d, stderr %q", code, errOut)
	}
	if code, _, errOut := runMain(t, "", "run", "--raw", "--untrusted", leak); code != 1 || !strings.Contains(errOut, "R0 leaks addr") {
		t.Errorf("untrusted: exit %d, stderr %q", code, errOut)
	}
}

func TestAsmDisasm(t *testing.T) {
	dir := t.TempDir()
	src := write(t, dir, "p.s", []byte("r0 = 7\nr0 += 1\nexit\n"))
	out := filepath.Join(dir, "p.bin")
	if code, _, errOut := runMain(t, "", "asm", "-o", out, src); code != 0 {
		t.Fatalf("asm: %s", errOut)
	}
	code, text, errOut := runMain(t, "", "disasm", "--raw", out)
	if code != 0 || !strings.Contains(text, "r0 = 7") || !strings.Contains(text, "r0 += 1") || !strings.Contains(text, "exit") {
		t.Fatalf("disasm: exit %d, %q, %q", code, text, errOut)
	}
	if code, _, errOut := runMain(t, "", "asm", write(t, dir, "bad.s", []byte("r0 = 1\nfrob r1\n"))); code != 1 || !strings.Contains(errOut, "line 2") {
		t.Fatalf("bad asm: exit %d, %q", code, errOut)
	}
}

func TestConformancePlugin(t *testing.T) {
	// ldxb r0, [r1+1]; exit, with memory "0a 0b".
	prog := hexBytes(isa.Encode(nil, []isa.Instruction{isa.LoadMem(isa.SizeB, isa.R0, isa.R1, 1), isa.Exit()}))
	code, out, errOut := runMain(t, prog+"\n", "conformance-plugin", "0a 0b")
	if code != 0 || out != "b\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runMain(t, "", "conformance-plugin", "--program", prog, "0a 0c")
	if code != 0 || out != "c\n" {
		t.Fatalf("--program: exit %d, stdout %q", code, out)
	}
	// An out-of-bounds read fails with the reason.
	code, _, errOut = runMain(t, prog+"\n", "conformance-plugin", "0a")
	if code == 0 || !strings.Contains(errOut, "past the end") {
		t.Fatalf("oob: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runMain(t, "zz\n", "conformance-plugin")
	if code == 0 || !strings.Contains(errOut, "bad hex") {
		t.Fatalf("bad hex: exit %d, stderr %q", code, errOut)
	}
}

func hexBytes(b []byte) string {
	s := make([]string, len(b))
	for i, x := range b {
		s[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(s, " ")
}
