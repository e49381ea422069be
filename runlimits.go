package ebpfvm

import (
	"math"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/internal/progtype"
)

// MaxRepeat is the largest RunOptions.Repeat: BPF_PROG_TEST_RUN's repeat
// count is a u32.
const MaxRepeat = math.MaxUint32

// NoLimit in RunLimits: Run takes an input of any size that fits in
// memory.
const NoLimit = progtype.NoLimit

// RunLimits are the largest inputs Program.Run takes for a program type,
// in bytes, or NoLimit.
type RunLimits struct {
	// Data is the largest RunOptions.Data.
	Data int
	// Context is the largest RunOptions.Context.
	Context int
}

// RunInputLimits returns the limits Run applies to the inputs of programs
// of type t: BPF_PROG_TEST_RUN's (net/bpf/test_run.c) for the kernel's
// types that have them.
//
//   - XDP: a packet fits in a page less the headroom and the tailroom
//     (skb_shared_info): 3,520 bytes, 3,552 when the xdp_md context
//     declares the 32 bytes of metadata that may share the headroom
//     (multi-buffer frames are not supported); the context is at most a
//     page, zero past the xdp_md.
//   - socket buffer types (socket filters, tc, cgroup skb, …): a page less
//     NET_SKB_PAD + NET_IP_ALIGN and the tailroom, 3,712 bytes; the
//     context at most a page, zero past the __sk_buff.
//   - syscall programs: a context of at most 65,535 bytes (U16_MAX);
//     raw tracepoints: 96 bytes (12 arguments).
//
// The rest have no limit of their own: the generic type's context and
// data, tracing programs' arguments, and the data of syscall and raw
// tracepoint programs (which the kernel refuses with EINVAL; ebpfvm
// gives it to the legacy packet loads, which these types' verified
// programs cannot use).
func RunInputLimits(t ebpf.ProgramType) RunLimits {
	data, ctx := progtype.InputLimits(t)
	return RunLimits{Data: data, Context: ctx}
}
