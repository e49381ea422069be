package kernel

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ebpfvm/ebpfvm/isa"
)

func requireKernel(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		t.Skip(err.Error())
	}
}

func TestLastLines(t *testing.T) {
	log := "a\nb\nc\nd\n\x00"
	if got := LastLines(log, 2); got != "c\nd" {
		t.Errorf("LastLines = %q", got)
	}
	if got := LastLines(log, 10); got != "a\nb\nc\nd" {
		t.Errorf("LastLines = %q", got)
	}
	if got := LastLines("", 3); got != "" {
		t.Errorf("LastLines = %q", got)
	}
}

func TestParseLog(t *testing.T) {
	log := "0: R1=ctx() R10=fp0\n0: (b7) r0 = 0\nverification time 42 usec\nstack depth 0\n" +
		"processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
	if d, ok := ParseVerificationTime(log); !ok || d != 42*time.Microsecond {
		t.Errorf("ParseVerificationTime = %v, %v", d, ok)
	}
	if n, ok := ParseInsnsProcessed(log); !ok || n != 2 {
		t.Errorf("ParseInsnsProcessed = %v, %v", n, ok)
	}
	if _, ok := ParseVerificationTime("nothing"); ok {
		t.Error("parsed a time out of nothing")
	}
}

func TestProgTypeString(t *testing.T) {
	for typ, want := range map[ProgType]string{SocketFilter: "socket_filter", XDP: "xdp", Syscall: "syscall", Netfilter: "netfilter", 99: "prog_type(99)"} {
		if got := typ.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", uint32(typ), got, want)
		}
	}
}

func TestAvailable(t *testing.T) {
	err := Available()
	if err != nil {
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Available() = %v, does not wrap ErrUnavailable", err)
		}
		t.Skip(err.Error())
	}
}

func TestSocketFilterRetval(t *testing.T) {
	requireKernel(t)
	insns := []isa.Instruction{
		isa.Mov64Imm(isa.R0, 40),
		isa.ALU64Imm(isa.ALUAdd, isa.R0, 2),
		isa.Exit(),
	}
	p, err := Load(insns, LoadOptions{Type: SocketFilter})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Log != "" {
		t.Errorf("log at level 0: %q", p.Log)
	}
	pkt := make([]byte, 64)
	res, err := p.TestRun(TestRunOptions{Data: pkt, Repeat: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.Retval != 42 {
		t.Errorf("retval = %d, want 42", res.Retval)
	}
	if len(res.DataOut) != len(pkt) {
		t.Errorf("data out has %d bytes, want %d", len(res.DataOut), len(pkt))
	}
}

func TestXDPDataOut(t *testing.T) {
	requireKernel(t)
	// Write 0xab to the first packet byte and return XDP_PASS (2).
	insns := []isa.Instruction{
		isa.LoadMem(isa.SizeW, isa.R2, isa.R1, 0), // data
		isa.LoadMem(isa.SizeW, isa.R3, isa.R1, 4), // data_end
		isa.Mov64Reg(isa.R4, isa.R2),
		isa.ALU64Imm(isa.ALUAdd, isa.R4, 1),
		isa.JumpReg(isa.JmpJGT, isa.R4, isa.R3, 2),
		isa.StoreImm(isa.SizeB, isa.R2, 0, 0xab),
		isa.Mov64Imm(isa.R0, 2),
		isa.Exit(),
	}
	// The jump above skips to the last two instructions only when the
	// packet is empty; adjust it so that it lands on "r0 = 2".
	insns[4].Offset = 1
	p, err := Load(insns, LoadOptions{Type: XDP, LogLevel: LogLevelBranch})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.VerificationTime <= 0 && !strings.Contains(p.Log, "verification time") {
		t.Errorf("no verification time in log %q", p.Log)
	}
	if p.InsnsProcessed <= 0 {
		t.Errorf("InsnsProcessed = %d, log %q", p.InsnsProcessed, p.Log)
	}
	pkt := make([]byte, 64)
	res, err := p.TestRun(TestRunOptions{Data: pkt})
	if err != nil {
		t.Fatal(err)
	}
	if res.Retval != 2 {
		t.Errorf("retval = %d, want 2", res.Retval)
	}
	if len(res.DataOut) != 64 || res.DataOut[0] != 0xab {
		t.Errorf("data out = %x", res.DataOut)
	}
	if pkt[0] != 0 {
		t.Error("input packet was modified")
	}
}

func TestSyscallCtx(t *testing.T) {
	requireKernel(t)
	// r2 = ctx[0]; ctx[8] = r2 * 3; return r2 + 1
	insns := []isa.Instruction{
		isa.LoadMem(isa.SizeDW, isa.R2, isa.R1, 0),
		isa.Mov64Reg(isa.R3, isa.R2),
		isa.ALU64Imm(isa.ALUMul, isa.R3, 3),
		isa.StoreMem(isa.SizeDW, isa.R1, isa.R3, 8),
		isa.Mov64Reg(isa.R0, isa.R2),
		isa.ALU64Imm(isa.ALUAdd, isa.R0, 1),
		isa.Exit(),
	}
	p, err := Load(insns, LoadOptions{Type: Syscall, Name: "syscall_test"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := make([]byte, 16)
	binary.LittleEndian.PutUint64(ctx, 0x1_0000_0007)
	orig := bytes.Clone(ctx)
	res, err := p.TestRun(TestRunOptions{Ctx: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if res.Retval != 8 { // low 32 bits of 0x1_0000_0008
		t.Errorf("retval = %#x, want 8", res.Retval)
	}
	if got := binary.LittleEndian.Uint64(res.CtxOut[8:]); got != 3*0x1_0000_0007 {
		t.Errorf("ctx[8] = %#x", got)
	}
	if !bytes.Equal(ctx, orig) {
		t.Error("caller's ctx was modified")
	}
	if _, err := p.TestRun(TestRunOptions{Ctx: ctx, Repeat: 5}); err == nil {
		t.Error("repeat accepted for a syscall program")
	}
	// A ctx smaller than the program's largest access is refused.
	if _, err := p.TestRun(TestRunOptions{Ctx: ctx[:8]}); err == nil {
		t.Error("short ctx accepted")
	}
}

func TestRejected(t *testing.T) {
	requireKernel(t)
	// Reads r2, which is not initialised.
	insns := []isa.Instruction{
		isa.Mov64Reg(isa.R0, isa.R2),
		isa.Exit(),
	}
	for _, level := range []uint32{0, LogLevelBranch, LogLevelInsn} {
		_, err := Load(insns, LoadOptions{Type: SocketFilter, LogLevel: level})
		var verr *VerifierError
		if !errors.As(err, &verr) {
			t.Fatalf("level %d: err = %v, want *VerifierError", level, err)
		}
		if !strings.Contains(verr.Log, "R2 !read_ok") {
			t.Errorf("level %d: log %q lacks R2 !read_ok", level, verr.Log)
		}
		if verr.Errno == 0 {
			t.Errorf("level %d: no errno", level)
		}
		if !strings.Contains(err.Error(), "R2 !read_ok") {
			t.Errorf("level %d: error text %q lacks the log's end", level, err.Error())
		}
	}
}

func TestSmallLogBufferGrows(t *testing.T) {
	requireKernel(t)
	var insns []isa.Instruction
	for i := 0; i < 200; i++ {
		insns = append(insns, isa.Mov64Imm(isa.R0, int32(i)))
	}
	insns = append(insns, isa.Exit())
	p, err := Load(insns, LoadOptions{Type: SocketFilter, LogLevel: LogLevelInsn, LogSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if len(p.Log) < 1000 || p.InsnsProcessed != 201 {
		t.Errorf("log of %d bytes, %d insns processed", len(p.Log), p.InsnsProcessed)
	}
}

func TestCloseTwice(t *testing.T) {
	requireKernel(t)
	p, err := Load([]isa.Instruction{isa.Mov64Imm(isa.R0, 0), isa.Exit()}, LoadOptions{Type: SocketFilter})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.TestRun(TestRunOptions{Data: make([]byte, 14)}); err == nil {
		t.Error("test run of a closed program succeeded")
	}
}
