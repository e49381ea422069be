//go:build linux && (amd64 || arm64 || loong64 || mips64 || mips64le || ppc64 || ppc64le || riscv64 || s390x)

package kernel

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ebpfvm/ebpfvm/isa"
)

// bpf(2) commands (enum bpf_cmd).
const (
	cmdProgLoad    = 5
	cmdProgTestRun = 10
)

// progLoadAttr is the BPF_PROG_LOAD member of union bpf_attr
// (include/uapi/linux/bpf.h). On the 64-bit platforms this file builds for,
// an unsafe.Pointer field has the size and alignment of __aligned_u64; using
// pointers rather than integers keeps the buffers visible to the garbage
// collector and to stack copying while the attribute is being built.
type progLoadAttr struct {
	progType           uint32
	insnCnt            uint32
	insns              unsafe.Pointer
	license            unsafe.Pointer
	logLevel           uint32
	logSize            uint32
	logBuf             unsafe.Pointer
	kernVersion        uint32
	progFlags          uint32
	progName           [programNameSize]byte
	progIfindex        uint32
	expectedAttachType uint32
	progBTFFD          uint32
	funcInfoRecSize    uint32
	funcInfo           uint64
	funcInfoCnt        uint32
	lineInfoRecSize    uint32
	lineInfo           uint64
	lineInfoCnt        uint32
	attachBTFID        uint32
	attachProgFD       uint32
	coreReloCnt        uint32
	fdArray            uint64
	coreRelos          uint64
	coreReloRecSize    uint32
	logTrueSize        uint32 // out: the size the whole log needs (6.4+)
	progTokenFD        int32
	fdArrayCnt         uint32
}

// testRunAttr is the BPF_PROG_TEST_RUN member ("test") of union bpf_attr.
type testRunAttr struct {
	progFD      uint32
	retval      uint32
	dataSizeIn  uint32
	dataSizeOut uint32
	dataIn      unsafe.Pointer
	dataOut     unsafe.Pointer
	repeat      uint32
	duration    uint32
	ctxSizeIn   uint32
	ctxSizeOut  uint32
	ctxIn       unsafe.Pointer
	ctxOut      unsafe.Pointer
	flags       uint32
	cpu         uint32
	batchSize   uint32
	_           uint32
}

func bpf(cmd uintptr, attr unsafe.Pointer, size uintptr) (int, error) {
	r, _, errno := unix.Syscall(unix.SYS_BPF, cmd, uintptr(attr), size)
	if errno != 0 {
		return int(r), errno
	}
	return int(r), nil
}

// retryable reports errors caused by a signal arriving during the call (the
// Go runtime preempts goroutines with SIGURG): the verifier returns EAGAIN
// and a test run EINTR.
func retryable(err error) bool {
	return errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EINTR)
}

const maxRetries = 100

var (
	availOnce sync.Once
	availErr  error
)

// Available reports whether bpf() can load and run programs here. It loads
// a trivial program once and caches the answer. Setting EBPFVM_NO_KERNEL=1
// in the environment makes it report the kernel as unavailable.
func Available() error {
	availOnce.Do(func() {
		if os.Getenv("EBPFVM_NO_KERNEL") != "" {
			availErr = fmt.Errorf("%w: disabled by EBPFVM_NO_KERNEL", ErrUnavailable)
			return
		}
		insns := []isa.Instruction{isa.Mov64Imm(isa.R0, 0), isa.Exit()}
		fd, err := rawLoad(insns, LoadOptions{Type: SocketFilter}, 0, nil)
		if err != nil {
			availErr = unavailable(err)
			return
		}
		closeFD(fd)
	})
	return availErr
}

func unavailable(err error) error {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return fmt.Errorf("%w: %v (need root or CAP_BPF)", ErrUnavailable, err)
	case errors.Is(err, unix.ENOSYS):
		return fmt.Errorf("%w: %v (kernel without CONFIG_BPF_SYSCALL, or blocked by seccomp)", ErrUnavailable, err)
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// rawLoad issues BPF_PROG_LOAD once (retrying only interruptions) and
// returns the fd; log, if non-empty, receives the verifier log.
func rawLoad(insns []isa.Instruction, opts LoadOptions, level uint32, log []byte) (fd int, err error) {
	fd, _, err = rawLoadSize(insns, opts, level, log)
	return fd, err
}

// rawLoadSize is rawLoad that also returns the size the whole log needs
// (log_true_size, 6.4+).
func rawLoadSize(insns []isa.Instruction, opts LoadOptions, level uint32, log []byte) (int, uint32, error) {
	if len(insns) == 0 {
		return -1, 0, errors.New("kernel: empty program")
	}
	code := isa.Encode(make([]byte, 0, len(insns)*isa.InstructionSize), insns)
	lic := opts.License
	if lic == "" {
		lic = defaultLicense
	}
	license := append([]byte(lic), 0)
	attr := progLoadAttr{
		progType:           uint32(opts.Type),
		insnCnt:            uint32(len(insns)),
		insns:              unsafe.Pointer(&code[0]),
		license:            unsafe.Pointer(&license[0]),
		progFlags:          opts.Flags,
		expectedAttachType: opts.ExpectedAttachType,
	}
	copy(attr.progName[:programNameSize-1], opts.Name)
	if level != 0 && len(log) > 0 {
		attr.logLevel = level
		attr.logSize = uint32(len(log))
		attr.logBuf = unsafe.Pointer(&log[0])
	}
	var fd int
	var err error
	for try := 0; ; try++ {
		fd, err = bpf(cmdProgLoad, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		if err == nil || !retryable(err) || try == maxRetries {
			break
		}
	}
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	runtime.KeepAlive(log)
	if err != nil {
		return -1, attr.logTrueSize, err
	}
	return fd, attr.logTrueSize, nil
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func load(insns []isa.Instruction, opts LoadOptions) (*Program, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	level := opts.LogLevel
	if level != 0 {
		// The "verification time" line is printed only with BPF_LOG_STATS.
		level |= LogLevelStats
	}
	size := opts.LogSize
	if size <= 0 {
		size = DefaultLogSize
	}
	if size > maxLogSize {
		size = maxLogSize
	}
	var log []byte
	for {
		if level != 0 {
			log = make([]byte, size)
		}
		fd, trueSize, err := rawLoadSize(insns, opts, level, log)
		if err == nil {
			p := newProgram(fd, opts.Type, len(insns))
			if level != 0 {
				p.Log = cString(log)
				p.VerificationTime, _ = ParseVerificationTime(p.Log)
				p.InsnsProcessed, _ = ParseInsnsProcessed(p.Log)
			}
			return p, nil
		}
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.ENOSYS) {
			return nil, unavailable(err)
		}
		if level != 0 && errors.Is(err, unix.ENOSPC) && size < maxLogSize {
			// The log did not fit: the kernel fails even an accepted
			// program then. Grow the buffer and load again.
			next := size * 4
			if int(trueSize) > size {
				next = int(trueSize) + 1
			}
			size = min(next, maxLogSize)
			continue
		}
		if level == 0 {
			// Load again with a log to explain the rejection.
			level = LogLevelBranch | LogLevelStats
			continue
		}
		var errno unix.Errno
		if !errors.As(err, &errno) {
			return nil, err
		}
		return nil, &VerifierError{Errno: errno, Log: cString(log)}
	}
}

func newProgram(fd int, typ ProgType, n int) *Program {
	p := &Program{fd: fd, typ: typ, insn: n}
	runtime.SetFinalizer(p, func(p *Program) { p.Close() })
	return p
}

func closeFD(fd int) error { return unix.Close(fd) }

func (p *Program) testRun(opts TestRunOptions) (TestRunResult, error) {
	var res TestRunResult
	for try := 0; ; try++ {
		attr := testRunAttr{
			progFD: uint32(p.fd),
			repeat: opts.Repeat,
			flags:  opts.Flags,
			cpu:    opts.CPU,
		}
		var dataOut, ctxIn, ctxOut []byte
		if len(opts.Data) > 0 {
			attr.dataIn = unsafe.Pointer(&opts.Data[0])
			attr.dataSizeIn = uint32(len(opts.Data))
		}
		if n := opts.DataOutSize; n > 0 || (n == 0 && len(opts.Data) > 0 && p.typ != Syscall) {
			if n == 0 {
				n = len(opts.Data)
			}
			dataOut = make([]byte, n)
			attr.dataOut = unsafe.Pointer(&dataOut[0])
			attr.dataSizeOut = uint32(n)
		}
		if len(opts.Ctx) > 0 {
			// The kernel writes a syscall program's ctx back into
			// ctx_in: give it a copy.
			ctxIn = opts.Ctx
			if p.typ == Syscall {
				ctxIn = append([]byte(nil), opts.Ctx...)
			}
			attr.ctxIn = unsafe.Pointer(&ctxIn[0])
			attr.ctxSizeIn = uint32(len(ctxIn))
		}
		if p.typ != Syscall {
			if n := opts.CtxOutSize; n > 0 || (n == 0 && len(opts.Ctx) > 0 && p.typ != RawTracepoint) {
				if n == 0 {
					n = len(opts.Ctx)
				}
				ctxOut = make([]byte, n)
				attr.ctxOut = unsafe.Pointer(&ctxOut[0])
				attr.ctxSizeOut = uint32(n)
			}
		}
		_, err := bpf(cmdProgTestRun, unsafe.Pointer(&attr), unsafe.Sizeof(attr))
		runtime.KeepAlive(opts.Data)
		runtime.KeepAlive(dataOut)
		runtime.KeepAlive(ctxIn)
		runtime.KeepAlive(ctxOut)
		runtime.KeepAlive(p)
		if err != nil {
			if retryable(err) && try < maxRetries {
				continue
			}
			return res, fmt.Errorf("kernel: BPF_PROG_TEST_RUN: %w", err)
		}
		res.Retval = attr.retval
		res.Duration = time.Duration(attr.duration)
		if p.typ == Syscall {
			res.CtxOut = ctxIn
			res.Duration = 0
		} else {
			if dataOut != nil {
				res.DataOut = dataOut[:min(int(attr.dataSizeOut), len(dataOut))]
			}
			if ctxOut != nil {
				res.CtxOut = ctxOut[:min(int(attr.ctxSizeOut), len(ctxOut))]
			}
		}
		return res, nil
	}
}
