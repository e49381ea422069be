// Package helpers implements the Linux kernel's generic eBPF helper
// functions in Go, with the kernel's IDs, names, return values and errno
// conventions: the map helpers, time, randomness, task identity, the
// printf family, string conversion, probe reads, ring buffers, callbacks
// (bpf_loop, bpf_for_each_map_elem), spin locks and csum_diff.
//
// Standard returns them as vm.Helper values, ready to register:
//
//	var hs vm.Helpers
//	for _, h := range helpers.Standard(&helpers.Config{TraceOutput: os.Stderr}) {
//		hs.Register(h)
//	}
//
// # Errors
//
// A helper returns what the kernel's returns: a negative errno as a uint64
// (-EINVAL is 0xffffffffffffffea) where the kernel reports an error to the
// program. A Go error from a HelperFunc aborts the run; helpers return one
// only for what the kernel's verifier would have ruled out before the
// program ran: a pointer argument outside every region the run was given
// (wrapping vm.ErrAccess), a map handle that names no map, a callback
// that is not one, a second bpf_spin_lock. The probe_read helpers are the
// exception the kernel makes too: their source may be any address, and a
// bad one yields a zeroed destination and -EFAULT (or -ERANGE, for the
// kernel variants on an address x86-64 refuses to read kernel memory at).
//
// # Memory
//
// The kernel distinguishes user and kernel memory; a run here has only the
// regions it was given (stack, context, packet, map values, ring buffer
// records). bpf_probe_read_user and bpf_probe_read_kernel (and their _str
// variants) both read from those regions.
//
// # Per-run state
//
// bpf_spin_lock, bpf_ringbuf_reserve and bpf_for_each_map_elem keep state
// for the duration of a run (the lock held, the records reserved, scratch
// memory for keys). It lives with the run's Env, never in a global. A
// runner calls EndRun after each run: it releases what the program left
// held and reports it, which the kernel's verifier would have rejected.
package helpers

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"syscall"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// Config holds what the host decides for the helpers. The zero value is
// usable: trace output is discarded, time comes from the host's clocks,
// random numbers from the runtime's generator and the task identity from
// the current process.
type Config struct {
	// TraceOutput receives one line per bpf_trace_printk call (see
	// TraceLine for its format). Calls are serialised. Nil discards the
	// output; the helper still formats and returns the length.
	TraceOutput io.Writer
	// TraceMessageOnly writes only the formatted message, without the
	// "comm-pid [cpu] bpf_trace_printk: " prefix and the added newline.
	TraceMessageOnly bool

	// Clock is the time source of bpf_ktime_get_ns, bpf_ktime_get_boot_ns,
	// bpf_ktime_get_coarse_ns and bpf_jiffies64. Nil means HostClock().
	Clock Clock
	// HZ is the tick rate bpf_jiffies64 counts in (the kernel's
	// CONFIG_HZ); 0 means DefaultHZ.
	HZ uint64

	// Rand is the source of bpf_get_prandom_u32; calls to it are
	// serialised, so a seeded source (rand.NewPCG(1, 2)) gives a
	// reproducible sequence for a sequential workload. Nil means the
	// runtime's per-thread generator (math/rand/v2's global functions).
	Rand rand.Source

	// Task is the identity bpf_get_current_pid_tgid, _uid_gid and _comm
	// report. Nil means CurrentTask().
	Task *Task
	// NUMANode is what bpf_get_numa_node_id returns.
	NUMANode uint32

	// SpinLockTimeout bounds how long bpf_spin_lock waits for a lock
	// before it fails the run. The kernel spins for ever; a lock is only
	// held that long here if a run exited holding it and its runner did
	// not call EndRun. 0 means DefaultSpinLockTimeout.
	SpinLockTimeout time.Duration
}

// DefaultHZ is the jiffies rate when Config.HZ is 0: Debian's and Fedora's
// kernels are built with CONFIG_HZ=250 (Ubuntu's recent ones with 1000).
const DefaultHZ = 250

// DefaultSpinLockTimeout is the longest bpf_spin_lock waits by default.
const DefaultSpinLockTimeout = 10 * time.Second

// Task is the identity of the task a program runs "in".
type Task struct {
	PID  uint32 // thread ID (the kernel's task->pid)
	TGID uint32 // process ID (task->tgid)
	UID  uint32
	GID  uint32
	Comm string // at most 15 bytes are visible, as in the kernel (TASK_COMM_LEN 16)
}

// Standard returns the helpers of this package, configured by cfg (nil
// means the zero Config). The result can be passed to vm.Helpers.Register
// one by one, or used through Register.
func Standard(cfg *Config) []vm.Helper {
	s := newSet(cfg)
	out := make([]vm.Helper, 0, len(s.funcs))
	for _, f := range s.funcs {
		id, ok := isa.HelperID(f.name)
		if !ok {
			panic("helpers: unknown helper name " + f.name)
		}
		out = append(out, vm.Helper{ID: id, Name: "bpf_" + f.name, Func: f.fn})
	}
	return out
}

// Register adds the Standard helpers to h.
func Register(h *vm.Helpers, cfg *Config) error {
	for _, hp := range Standard(cfg) {
		if err := h.Register(hp); err != nil {
			return err
		}
	}
	return nil
}

type namedFunc struct {
	name string // without "bpf_"
	fn   vm.HelperFunc
}

// set is one configured instance of the helpers.
type set struct {
	cfg   Config
	clock Clock
	hz    uint64
	task  Task
	comm  [16]byte // task comm, NUL-padded, at most 15 bytes

	randMu  sync.Mutex
	traceMu sync.Mutex

	spinTimeout time.Duration
	funcs       []namedFunc
}

func newSet(cfg *Config) *set {
	s := &set{}
	if cfg != nil {
		s.cfg = *cfg
	}
	s.clock = s.cfg.Clock
	if s.clock == nil {
		s.clock = HostClock()
	}
	s.hz = s.cfg.HZ
	if s.hz == 0 {
		s.hz = DefaultHZ
	}
	if s.cfg.Task != nil {
		s.task = *s.cfg.Task
	} else {
		s.task = CurrentTask()
	}
	copy(s.comm[:15], s.task.Comm)
	if i := indexByte(s.comm[:], 0); i >= 0 {
		clear(s.comm[i:])
	}
	s.spinTimeout = s.cfg.SpinLockTimeout
	if s.spinTimeout <= 0 {
		s.spinTimeout = DefaultSpinLockTimeout
	}
	s.funcs = []namedFunc{
		{"ktime_get_ns", s.ktimeGetNS},
		{"ktime_get_boot_ns", s.ktimeGetBootNS},
		{"ktime_get_coarse_ns", s.ktimeGetCoarseNS},
		{"jiffies64", s.jiffies64},
		{"trace_printk", s.tracePrintk},
		{"get_prandom_u32", s.getPrandomU32},
		{"get_smp_processor_id", getSMPProcessorID},
		{"get_numa_node_id", s.getNUMANodeID},
		{"get_current_pid_tgid", s.getCurrentPIDTGID},
		{"get_current_uid_gid", s.getCurrentUIDGID},
		{"get_current_comm", s.getCurrentComm},
		{"probe_read_user", probeRead(false)},
		{"probe_read_kernel", probeRead(true)},
		{"probe_read_user_str", probeReadUserStr},
		{"probe_read_kernel_str", probeReadKernelStr},
		{"loop", loop},
		{"snprintf", snprintfHelper},
		{"strtol", strtol},
		{"strtoul", strtoul},
		{"strncmp", strncmp},
		{"spin_lock", s.spinLock},
		{"spin_unlock", spinUnlock},
		{"csum_diff", csumDiff},
	}
	s.funcs = append(s.funcs, s.mapFuncs()...)
	return s
}

// errno returns -e as a helper's return value.
// Errno is a helper's return value for the error e: -e, as the kernel's
// helpers return it.
func Errno(e syscall.Errno) uint64 { return uint64(-int64(e)) }

func errno(e syscall.Errno) uint64 { return Errno(e) }

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// argError is a fault in a helper's arguments that the kernel's verifier
// would have rejected.
func argError(helper, format string, args ...any) error {
	return fmt.Errorf("bpf_%s: %s", helper, fmt.Sprintf(format, args...))
}
