// Package kernel is a small oracle: it loads eBPF programs into the running
// Linux kernel with the raw bpf(2) syscall (BPF_PROG_LOAD) and runs them with
// BPF_PROG_TEST_RUN, so that tests can compare ebpfvm's verdicts and results
// with the kernel's.
//
// It is deliberately minimal and explicit: no ELF, no BTF, no maps, no
// relocation. Where bpf() is not usable (not Linux, not root, seccomp, a
// 32-bit platform) Available reports why and every other function fails with
// an error that wraps ErrUnavailable.
package kernel

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ebpfvm/ebpfvm/isa"
)

// ProgType is a Linux program type (enum bpf_prog_type), by its numeric ID.
type ProgType uint32

// Program types, with the kernel's numeric IDs.
const (
	Unspec                ProgType = 0
	SocketFilter          ProgType = 1
	Kprobe                ProgType = 2
	SchedCLS              ProgType = 3
	SchedACT              ProgType = 4
	Tracepoint            ProgType = 5
	XDP                   ProgType = 6
	PerfEvent             ProgType = 7
	CGroupSKB             ProgType = 8
	CGroupSock            ProgType = 9
	LWTIn                 ProgType = 10
	LWTOut                ProgType = 11
	LWTXmit               ProgType = 12
	SockOps               ProgType = 13
	SKSKB                 ProgType = 14
	CGroupDevice          ProgType = 15
	SKMsg                 ProgType = 16
	RawTracepoint         ProgType = 17
	CGroupSockAddr        ProgType = 18
	LWTSeg6Local          ProgType = 19
	LIRCMode2             ProgType = 20
	SKReuseport           ProgType = 21
	FlowDissector         ProgType = 22
	CGroupSysctl          ProgType = 23
	RawTracepointWritable ProgType = 24
	CGroupSockopt         ProgType = 25
	Tracing               ProgType = 26
	StructOps             ProgType = 27
	Extension             ProgType = 28
	LSM                   ProgType = 29
	SKLookup              ProgType = 30
	Syscall               ProgType = 31
	Netfilter             ProgType = 32
)

var progTypeNames = [...]string{
	"unspec", "socket_filter", "kprobe", "sched_cls", "sched_act",
	"tracepoint", "xdp", "perf_event", "cgroup_skb", "cgroup_sock",
	"lwt_in", "lwt_out", "lwt_xmit", "sock_ops", "sk_skb", "cgroup_device",
	"sk_msg", "raw_tracepoint", "cgroup_sock_addr", "lwt_seg6local",
	"lirc_mode2", "sk_reuseport", "flow_dissector", "cgroup_sysctl",
	"raw_tracepoint_writable", "cgroup_sockopt", "tracing", "struct_ops",
	"ext", "lsm", "sk_lookup", "syscall", "netfilter",
}

func (t ProgType) String() string {
	if int(t) < len(progTypeNames) {
		return progTypeNames[t]
	}
	return fmt.Sprintf("prog_type(%d)", uint32(t))
}

// Verifier log levels (the log_level field of BPF_PROG_LOAD).
const (
	LogLevelBranch  uint32 = 1 // BPF_LOG_LEVEL1: per-branch state, summary
	LogLevelInsn    uint32 = 2 // BPF_LOG_LEVEL2: every instruction's state
	LogLevelStats   uint32 = 4 // BPF_LOG_STATS: only the summary lines
	DefaultLogSize         = 1 << 20
	maxLogSize             = 1<<30 - 1 // the kernel's limit (UINT_MAX >> 2)
	defaultLicense         = "GPL"
	programNameSize        = 16 // BPF_OBJ_NAME_LEN
)

// Program load flags (prog_flags).
const (
	FlagStrictAlignment uint32 = 1 << 0
	FlagAnyAlignment    uint32 = 1 << 1
	FlagSleepable       uint32 = 1 << 4
)

// LoadOptions are the parameters of BPF_PROG_LOAD.
type LoadOptions struct {
	Type ProgType
	// License defaults to "GPL".
	License string
	// LogLevel is the verifier's log level (0, LogLevelBranch,
	// LogLevelInsn, optionally or'ed with LogLevelStats). At level 0 the
	// log is still collected, at level 1, when the program is rejected.
	LogLevel uint32
	// LogSize is the size of the log buffer; 0 means DefaultLogSize. When
	// the log does not fit, Load retries with a larger buffer.
	LogSize int
	// Name is the program name (at most 15 bytes are passed).
	Name string
	// Flags are prog_flags (FlagSleepable, ...). Load adds FlagSleepable
	// to Syscall programs: the kernel accepts them only as sleepable.
	Flags uint32
	// ExpectedAttachType is the expected_attach_type field.
	ExpectedAttachType uint32
}

// Program is a program loaded into the kernel.
type Program struct {
	fd   int
	typ  ProgType
	insn int

	// Log is the verifier log of the accepted program (empty at log level
	// 0).
	Log string
	// VerificationTime is parsed from the "verification time N usec" line
	// of the log; zero when the log level was 0.
	VerificationTime time.Duration
	// InsnsProcessed is parsed from the "processed N insns" line of the
	// log; zero when the log level was 0.
	InsnsProcessed int
}

// FD returns the program's file descriptor (-1 after Close).
func (p *Program) FD() int { return p.fd }

// Type returns the program type it was loaded as.
func (p *Program) Type() ProgType { return p.typ }

// ErrUnavailable is wrapped by every error caused by bpf() not being usable
// here.
var ErrUnavailable = errors.New("bpf() unavailable")

// VerifierError is a program the kernel rejected.
type VerifierError struct {
	Errno syscall.Errno
	Log   string // the verifier log, as the kernel wrote it
}

func (e *VerifierError) Error() string {
	msg := fmt.Sprintf("kernel rejected program: %v", e.Errno)
	if tail := LastLines(stripStats(e.Log), 2); tail != "" {
		msg += ":\n" + tail
	}
	return msg
}

// stripStats drops the summary lines the verifier appends to every log, so
// that the lines before them, which say why a program was rejected, can be
// shown.
func stripStats(log string) string {
	for {
		log = strings.TrimRight(log, "\n\x00")
		i := strings.LastIndexByte(log, '\n') + 1
		last := log[i:]
		if !strings.HasPrefix(last, "verification time ") && !strings.HasPrefix(last, "stack depth ") &&
			!strings.HasPrefix(last, "processed ") {
			return log
		}
		log = log[:i]
	}
}

// Unwrap returns the errno.
func (e *VerifierError) Unwrap() error { return e.Errno }

// LastLines returns the last n non-empty lines of a log.
func LastLines(log string, n int) string {
	end := len(log)
	for end > 0 && (log[end-1] == '\n' || log[end-1] == 0) {
		end--
	}
	start := end
	for start > 0 && n > 0 {
		start--
		for start > 0 && log[start-1] != '\n' {
			start--
		}
		n--
	}
	return log[start:end]
}

var (
	verifTimeRE = regexp.MustCompile(`(?m)^verification time (\d+) usec`)
	processedRE = regexp.MustCompile(`(?m)^processed (\d+) insns`)
)

// ParseVerificationTime extracts "verification time N usec" from a verifier
// log.
func ParseVerificationTime(log string) (time.Duration, bool) {
	m := verifTimeRE.FindStringSubmatch(log)
	if m == nil {
		return 0, false
	}
	us, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(us) * time.Microsecond, true
}

// ParseInsnsProcessed extracts "processed N insns" from a verifier log.
func ParseInsnsProcessed(log string) (int, bool) {
	m := processedRE.FindStringSubmatch(log)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return 0, false
	}
	return n, true
}

// TestRunOptions are the inputs of BPF_PROG_TEST_RUN.
//
// Syscall programs (BPF_PROG_TYPE_SYSCALL) take only Ctx: the kernel copies
// it in, runs the program once with r1 pointing at the copy and copies it
// back; TestRun returns that copy as CtxOut. Data, DataOutSize, CtxOutSize
// and a Repeat above 1 are errors for them, and Duration is zero.
//
// Raw tracepoint programs take Ctx too and give nothing back but the
// return value: no context is asked back from them unless CtxOutSize is
// set (the kernel refuses ctx_out for them with EINVAL).
type TestRunOptions struct {
	Data        []byte
	Ctx         []byte
	DataOutSize int // capacity for DataOut; 0 means len(Data)
	CtxOutSize  int // capacity for CtxOut; 0 means len(Ctx)
	Repeat      uint32
	Flags       uint32
	CPU         uint32
}

// TestRunResult is the output of BPF_PROG_TEST_RUN.
type TestRunResult struct {
	Retval   uint32
	DataOut  []byte
	CtxOut   []byte
	Duration time.Duration // mean time of one run, as the kernel measured it
}

// Load loads a program into the kernel. A program the verifier rejects
// yields a *VerifierError carrying the log.
func Load(insns []isa.Instruction, opts LoadOptions) (*Program, error) {
	if opts.Type == Syscall {
		opts.Flags |= FlagSleepable
	}
	return load(insns, opts)
}

// Close releases the program.
func (p *Program) Close() error {
	if p == nil || p.fd < 0 {
		return nil
	}
	fd := p.fd
	p.fd = -1
	return closeFD(fd)
}

// TestRun runs the program once (or Repeat times) with BPF_PROG_TEST_RUN.
func (p *Program) TestRun(opts TestRunOptions) (TestRunResult, error) {
	if p == nil || p.fd < 0 {
		return TestRunResult{}, errors.New("kernel: test run of a closed program")
	}
	if p.typ == Syscall {
		if opts.Data != nil || opts.DataOutSize != 0 || opts.CtxOutSize != 0 || opts.Repeat > 1 || opts.Flags != 0 {
			return TestRunResult{}, errors.New("kernel: syscall programs take only Ctx (no data, ctx_out, repeat or flags)")
		}
		if len(opts.Ctx) > 0xffff {
			return TestRunResult{}, fmt.Errorf("kernel: syscall program ctx of %d bytes exceeds 65535", len(opts.Ctx))
		}
	}
	return p.testRun(opts)
}
