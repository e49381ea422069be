// Package progtype lays out the test runs of the kernel's program types
// the way BPF_PROG_TEST_RUN does (net/bpf/test_run.c): which inputs a
// type takes and refuses, where its packet and context live, what r1-r5
// hold, what the run gives back; and it implements the helpers that act on
// a packet run (bpf_xdp_adjust_head, bpf_skb_load_bytes, …). It sees the
// run through vm.Env and imports no engine: the root package runs a Frame
// on whatever engine the program was compiled for.
package progtype

import (
	"errors"
	"fmt"
	"slices"
	"syscall"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// ErrInvalidTestRun prefixes the errors of invalid BPF_PROG_TEST_RUN
// requests.
var ErrInvalidTestRun = errors.New("invalid test run")

// testRunError is an invalid BPF_PROG_TEST_RUN request.
func testRunError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidTestRun}, args...)...)
}

// Memory is where a frame lays out a run: memory owned by the caller (a
// pooled runner) and reused from run to run.
type Memory interface {
	// PacketFrame returns a zeroed frame of FrameSize bytes below 4 GiB,
	// where the 32-bit packet pointers of xdp_md and __sk_buff reach.
	PacketFrame() (*mem.Buffer, error)
	// Scratch returns memory of at least n bytes, of any contents.
	Scratch(n int) (*mem.Buffer, error)
}

// Input is what a BPF_PROG_TEST_RUN request gives a program.
type Input struct {
	Data    []byte // the packet (data_in)
	Context []byte // the context (ctx_in)
	// CtxNeed is how many context bytes the verified program may access
	// (the kernel's max_ctx_offset), for the types whose context is a
	// blob; 0 for unverified programs.
	CtxNeed int
}

// Frame is one test run laid out in memory.
type Frame interface {
	// CtxLen is the size of the context r1 points to.
	CtxLen() int
	// Setup adds the run's regions to env after the stack, sets the
	// program-type state its helpers use, and returns r1-r5. It is
	// called once, before the first of the run's repeats.
	Setup(env *vm.Env) [5]uint64
	// Output is the packet and the context after the run (data_out,
	// ctx_out), copies the caller owns.
	Output() (data, ctx []byte)
}

// Frames holds the frames of one runner, reused from run to run so that
// laying a run out allocates nothing. A Frame that New returns is valid
// until the next call of New.
type Frames struct {
	blob  blobFrame
	xdp   xdpFrame
	xdpSt xdpState
	skb   skbFrame
	skbSt skbState
}

// New checks a test run of a program of type t as BPF_PROG_TEST_RUN does
// and lays it out in m.
func (fs *Frames) New(t ebpf.ProgramType, in Input, m Memory) (Frame, error) {
	switch {
	case t == ebpf.XDP:
		return fs.newXDP(in, m)
	case slices.Contains(skbTypes, t):
		return fs.newSKB(t, in, m)
	}
	return fs.newBlob(t, in, m)
}

// skbTypes are the program types whose context is an __sk_buff.
var skbTypes = []ebpf.ProgramType{ebpf.SchedCLS, ebpf.SchedACT, ebpf.SocketFilter, ebpf.CGroupSKB, ebpf.LWTIn, ebpf.LWTOut, ebpf.LWTXmit}

// IsPacketType reports whether programs of type t get a packet and a
// context structure of the kernel's (xdp_md, __sk_buff) rather than a
// context blob.
func IsPacketType(t ebpf.ProgramType) bool { return t == ebpf.XDP || slices.Contains(skbTypes, t) }

// IsKernelType reports whether r0 is truncated to 32 bits on return, as the
// kernel's program types do (bpf_prog_run returns u32): every type but
// ebpfvm's generic one (ebpf.UnspecifiedProgram).
func IsKernelType(t ebpf.ProgramType) bool { return t != ebpf.UnspecifiedProgram }

// Context sizes BPF_PROG_TEST_RUN accepts (net/bpf/test_run.c).
const (
	// MaxCtxIn is the largest context BPF_PROG_TEST_RUN copies in for a
	// program whose context is a kernel structure (xdp_md, __sk_buff):
	// past the structure the bytes must be zero, and past a page
	// bpf_check_uarg_tail_zero refuses them with E2BIG.
	MaxCtxIn      = FrameSize
	maxSyscallCtx = 0xffff // U16_MAX
	maxRawTPCtx   = 12 * 8 // MAX_BPF_FUNC_ARGS arguments of 8 bytes
)

// NoLimit in InputLimits: any size that fits in memory.
const NoLimit = -1

// InputLimits returns the largest packet and context a test run of type t
// takes, in bytes, or NoLimit (see ebpfvm.RunInputLimits).
func InputLimits(t ebpf.ProgramType) (data, ctx int) {
	switch {
	case t == ebpf.XDP:
		return FrameSize - (xdpHeadroom - xdpMetaMax) - sharedInfoSize, MaxCtxIn
	case IsPacketType(t):
		return FrameSize - skbHeadroom - sharedInfoSize, MaxCtxIn
	case t == ebpf.Syscall:
		return NoLimit, maxSyscallCtx
	case t == ebpf.RawTracepoint:
		return NoLimit, maxRawTPCtx
	}
	return NoLimit, NoLimit
}

// checkContextSize applies the kernel's test-run rules on the size of a
// context blob: syscall and raw tracepoint programs refuse, with EINVAL, a
// context shorter than what the verified program accesses (max_ctx_offset)
// or longer than the type allows.
func checkContextSize(t ebpf.ProgramType, n, need int) error {
	limit := 0
	switch t {
	case ebpf.Syscall:
		limit = maxSyscallCtx
	case ebpf.RawTracepoint:
		limit = maxRawTPCtx
	default:
		return nil
	}
	if n < need || n > limit {
		return fmt.Errorf("%w: %s program: context of %d bytes, want %d to %d bytes: %w",
			ErrInvalidTestRun, t, n, need, limit, syscall.EINVAL)
	}
	return nil
}

// blobFrame is a run of a type whose context is a blob of bytes: the
// generic type, tracing, syscall and raw tracepoint programs. r1 points to
// a copy of the context, r2 holds its length, and the data is the packet
// of the legacy loads (LD_ABS, LD_IND).
type blobFrame struct {
	ctx, data    []byte
	ctxAddr      uint64
	dataAddr     uint64
	ctxLen, have int // context bytes mapped, and given
}

// newBlob copies Context and Data into program memory. Syscall and raw
// tracepoint programs must be given as much context as they access; for
// the other types (the generic type, tracing), where the kernel has no
// such rule, a verified program that may access more context than it was
// given gets it zero-padded: it runs unchecked, so the memory it was proven
// to stay in must exist.
func (fs *Frames) newBlob(t ebpf.ProgramType, in Input, m Memory) (Frame, error) {
	if err := checkContextSize(t, len(in.Context), in.CtxNeed); err != nil {
		return nil, err
	}
	ctxLen := max(len(in.Context), in.CtxNeed)
	n := ctxLen + len(in.Data)
	buf, err := m.Scratch(n)
	if err != nil {
		return nil, fmt.Errorf("allocating run memory: %w", err)
	}
	b := buf.Bytes()[:cap(buf.Bytes())]
	fs.blob = blobFrame{ctx: b[:ctxLen], data: b[ctxLen:n], ctxAddr: buf.Addr(), ctxLen: ctxLen, have: len(in.Context)}
	f := &fs.blob
	clear(f.ctx[copy(f.ctx, in.Context):])
	copy(f.data, in.Data)
	f.dataAddr = f.ctxAddr + uint64(ctxLen)
	return f, nil
}

func (f *blobFrame) CtxLen() int { return f.ctxLen }

func (f *blobFrame) Setup(env *vm.Env) [5]uint64 {
	env.Regions.Add(mem.Region{Start: f.ctxAddr, End: f.ctxAddr + uint64(f.ctxLen), Writable: true, Kind: mem.KindContext})
	env.Regions.Add(mem.Region{Start: f.dataAddr, End: f.dataAddr + uint64(len(f.data)), Writable: true, Kind: mem.KindPacket})
	env.PacketStart, env.PacketEnd = f.dataAddr, f.dataAddr+uint64(len(f.data))
	return [5]uint64{f.ctxAddr, uint64(f.have)}
}

func (f *blobFrame) Output() (data, ctx []byte) {
	return cloneBytes(f.data), cloneBytes(f.ctx[:f.have])
}

// cloneBytes copies b; nil for an empty b, so that runs without inputs do
// not allocate.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
