package progtype

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// testMemory is a Memory of its own buffers, freed with the test.
type testMemory struct {
	t              testing.TB
	frame, scratch *mem.Buffer
}

func (m *testMemory) PacketFrame() (*mem.Buffer, error) {
	if m.frame == nil {
		b, err := mem.AllocLow(FrameSize)
		if err != nil {
			return nil, err
		}
		m.frame = b
		m.t.Cleanup(func() { b.Free() })
	}
	clear(m.frame.Bytes())
	return m.frame, nil
}

func (m *testMemory) Scratch(n int) (*mem.Buffer, error) {
	b, err := mem.Alloc(n)
	if err == nil {
		m.t.Cleanup(func() { b.Free() })
	}
	return b, err
}

// TestNewRefuses: the requests BPF_PROG_TEST_RUN refuses, with its errno
// where it has one, before anything runs.
func TestNewRefuses(t *testing.T) {
	eth := make([]byte, 14)
	for _, c := range []struct {
		name  string
		typ   ebpf.ProgramType
		in    Input
		want  string
		errno syscall.Errno
	}{
		{"xdp short packet", ebpf.XDP, Input{Data: eth[:13]}, "at least 14 bytes", 0},
		{"xdp big packet", ebpf.XDP, Input{Data: make([]byte, 4000)}, "larger than an XDP frame holds", 0},
		{"xdp data_meta set", ebpf.XDP, Input{Data: eth, Context: []byte{0, 0, 0, 0, 14, 0, 0, 0, 1}}, "data_meta must be 0", 0},
		{"skb short packet", ebpf.SchedCLS, Input{Data: eth[:10]}, "want 14 to", 0},
		{"skb context field", ebpf.SchedCLS, Input{Data: eth, Context: []byte{1}}, "byte 0 is set", 0},
		{"context over a page", ebpf.SchedCLS, Input{Data: eth, Context: make([]byte, FrameSize+1)}, "larger than a page", syscall.E2BIG},
		{"syscall context short", ebpf.Syscall, Input{Context: make([]byte, 4), CtxNeed: 8}, "want 8 to 65535 bytes", syscall.EINVAL},
		{"raw tracepoint context long", ebpf.RawTracepoint, Input{Context: make([]byte, 97)}, "want 0 to 96 bytes", syscall.EINVAL},
	} {
		var fs Frames
		_, err := fs.New(c.typ, c.in, &testMemory{t: t})
		if !errors.Is(err, ErrInvalidTestRun) || !strings.Contains(err.Error(), c.want) || (c.errno != 0 && !errors.Is(err, c.errno)) {
			t.Errorf("%s: got %v, want an invalid test run mentioning %q", c.name, err, c.want)
		}
	}
}

// TestBlobFrame: the context blob is padded to what the program may
// access, r1 and r2 point to it and give its length, the data is the
// legacy loads' packet, and Output returns what the program left.
func TestBlobFrame(t *testing.T) {
	var fs Frames
	f, err := fs.New(ebpf.UnspecifiedProgram, Input{Data: []byte{9, 8}, Context: []byte{1, 2, 3}, CtxNeed: 8}, &testMemory{t: t})
	if err != nil {
		t.Fatal(err)
	}
	if f.CtxLen() != 8 {
		t.Fatalf("CtxLen %d, want 8 (padded to CtxNeed)", f.CtxLen())
	}
	var env vm.Env
	args := f.Setup(&env)
	if args[1] != 3 || env.PacketEnd-env.PacketStart != 2 {
		t.Fatalf("r2 %d, packet %d bytes; want 3, 2", args[1], env.PacketEnd-env.PacketStart)
	}
	ctx, err := env.Bytes(args[0], 8, true)
	if err != nil || string(ctx) != "\x01\x02\x03\x00\x00\x00\x00\x00" {
		t.Fatalf("context %v, %v", ctx, err)
	}
	ctx[0] = 7
	data, out := f.Output()
	if string(data) != "\x09\x08" || string(out) != "\x07\x02\x03" {
		t.Fatalf("Output: data %v, ctx %v", data, out)
	}
}

// TestInputLimits: the limits the kernel's test run applies.
func TestInputLimits(t *testing.T) {
	for _, c := range []struct {
		typ       ebpf.ProgramType
		data, ctx int
	}{
		{ebpf.XDP, 3552, FrameSize},
		{ebpf.SocketFilter, 3712, FrameSize},
		{ebpf.Syscall, NoLimit, 0xffff},
		{ebpf.RawTracepoint, NoLimit, 96},
		{ebpf.UnspecifiedProgram, NoLimit, NoLimit},
	} {
		if d, x := InputLimits(c.typ); d != c.data || x != c.ctx {
			t.Errorf("%v: %d, %d; want %d, %d", c.typ, d, x, c.data, c.ctx)
		}
	}
}
