package bench

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/rlimit"

	"github.com/ebpfvm/ebpfvm"
	"github.com/ebpfvm/ebpfvm/verifier"
)

// An Engine runs the suite's programs.
type Engine interface {
	// Name is the engine's short name, as --engines takes it.
	Name() string
	// Label is the engine's name in tables and charts.
	Label() string
	// Available returns nil when the engine can run here, and otherwise
	// why not; the engine's column then says n/a.
	Available() error
	// Load prepares a benchmark: loads its object (or compiles its
	// source) and runs its setup program.
	Load(b *Benchmark) (Instance, error)
}

// An Instance is a loaded benchmark.
type Instance interface {
	// Run runs the program repeat times on packet and returns its return
	// value (the checksum) and the mean time per run, as measured by the
	// engine itself around its own run loop.
	Run(packet []byte, repeat int) (ret uint32, nsPerRun float64, err error)
	Close() error
}

// Engine names.
const (
	// Interp is ebpfvm's interpreter as embedders get it by default:
	// programs are verified and run without per-access checks. A
	// program ebpfvm's verifier refuses (where the kernel's accepts it)
	// runs unverified, in checked mode, and its time is marked.
	Interp = "interp"
	// InterpChecked is the interpreter running every program unverified,
	// in checked mode (ebpfvm.VerifyNone): what the checks cost.
	InterpChecked = "interp-checked"
	// InterpUntrusted is Interp with the verifier's rules for untrusted
	// loaders (ebpfvm.VerifyUntrusted).
	InterpUntrusted = "interp-untrusted"
	JIT             = "jit"
	Kernel          = "kernel"
	Native          = "native"
)

// DefaultEngines are the engines of a full run, in the table's order.
var DefaultEngines = []string{Kernel, Native, Interp, JIT}

// NewEngine returns the engine with the given name. cpu is the CPU the
// suite runs on (see Options.CPU): engines that run in a process of their
// own pin it there.
func NewEngine(name string, cpu int) (Engine, error) {
	switch name {
	case Interp:
		return &vmEngine{name: Interp, label: "ebpfvm interp", fallback: true}, nil
	case InterpChecked:
		return &vmEngine{name: InterpChecked, label: "ebpfvm interp, checked", options: func() *ebpfvm.CollectionOptions {
			return &ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyNone}}
		}}, nil
	case InterpUntrusted:
		return &vmEngine{name: InterpUntrusted, label: "ebpfvm interp, untrusted", fallback: true, options: func() *ebpfvm.CollectionOptions {
			return &ebpfvm.CollectionOptions{Programs: ebpfvm.ProgramOptions{Verify: ebpfvm.VerifyUntrusted}}
		}}, nil
	case JIT:
		// The JIT plugs in here: once ebpfvm can run a collection in its
		// JIT, set options to what selects it, and drop unavailable.
		return &vmEngine{name: JIT, label: "ebpfvm JIT", unavailable: errors.New("ebpfvm has no JIT yet")}, nil
	case Kernel:
		return kernelEngine{}, nil
	case Native:
		return &nativeEngine{CPU: cpu}, nil
	}
	return nil, fmt.Errorf("unknown engine %q (have %s)", name, strings.Join([]string{Interp, InterpChecked, InterpUntrusted, JIT, Kernel, Native}, ", "))
}

// CloseEngines releases what engines hold (the native engine's compiled
// programs).
func CloseEngines(engines []Engine) {
	for _, e := range engines {
		if c, ok := e.(interface{ Close() error }); ok {
			c.Close()
		}
	}
}

// vmEngine runs programs in ebpfvm.
type vmEngine struct {
	name, label string
	options     func() *ebpfvm.CollectionOptions
	unavailable error
	// fallback loads a program the verifier refuses unverified.
	fallback bool
}

func (e *vmEngine) Name() string     { return e.name }
func (e *vmEngine) Label() string    { return e.label }
func (e *vmEngine) Available() error { return e.unavailable }
func (e *vmEngine) opts() *ebpfvm.CollectionOptions {
	if e.options == nil {
		return &ebpfvm.CollectionOptions{}
	}
	return e.options()
}

func (e *vmEngine) Load(b *Benchmark) (Instance, error) {
	if e.unavailable != nil {
		return nil, e.unavailable
	}
	spec, err := b.Spec()
	if err != nil {
		return nil, err
	}
	opts := e.opts()
	coll, err := ebpfvm.NewCollection(spec, opts)
	checked := ""
	var ve *verifier.Error
	if e.fallback && errors.As(err, &ve) {
		checked = "ebpfvm's verifier refused it: " + ve.Error()
		opts.Programs.Verify = ebpfvm.VerifyNone
		coll, err = ebpfvm.NewCollection(spec, opts)
	}
	if err != nil {
		return nil, err
	}
	if b.Setup != "" {
		if _, err := coll.Programs[b.Setup].Run(&ebpfvm.RunOptions{Data: b.Packet(b.N)}); err != nil {
			coll.Close()
			return nil, fmt.Errorf("%s: %w", b.Setup, err)
		}
	}
	return &vmInstance{coll: coll, prog: coll.Programs[b.Name], checked: checked}, nil
}

type vmInstance struct {
	coll    *ebpfvm.Collection
	prog    *ebpfvm.Program
	insns   uint64
	checked string
}

// Checked says why the program runs in checked mode though the engine
// verifies programs; empty when it does not.
func (i *vmInstance) Checked() string { return i.checked }

func (i *vmInstance) Run(packet []byte, repeat int) (uint32, float64, error) {
	res, err := i.prog.Run(&ebpfvm.RunOptions{Data: packet, Repeat: repeat})
	if err != nil {
		return 0, 0, err
	}
	i.insns = res.Executed
	return uint32(res.ReturnValue), float64(res.Duration.Nanoseconds()), nil
}

// Instructions is the number of eBPF instructions the last run executed.
func (i *vmInstance) Instructions() uint64 { return i.insns }

func (i *vmInstance) Close() error {
	i.coll.Close()
	return nil
}

// kernelEngine runs programs in the running kernel: BPF_PROG_LOAD, then
// BPF_PROG_TEST_RUN with repeat, which times the runs in the kernel.
type kernelEngine struct{}

func (kernelEngine) Name() string  { return Kernel }
func (kernelEngine) Label() string { return "kernel JIT" }

var (
	kernelOnce sync.Once
	kernelErr  error
)

func (kernelEngine) Available() error {
	kernelOnce.Do(func() {
		// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
		memlockErr := rlimit.RemoveMemlock()
		if err := features.HaveProgramType(ebpf.XDP); err != nil {
			kernelErr = fmt.Errorf("bpf() unavailable: loading an XDP program: %w", err)
			if memlockErr != nil {
				kernelErr = fmt.Errorf("%w (and raising RLIMIT_MEMLOCK: %v)", kernelErr, memlockErr)
			}
			return
		}
		if err := features.HaveProgramHelper(ebpf.XDP, asm.FnLoop); err != nil {
			kernelErr = fmt.Errorf("the kernel has no bpf_loop (Linux 5.17+): %w", err)
			return
		}
		if jit, err := os.ReadFile("/proc/sys/net/core/bpf_jit_enable"); err == nil && strings.TrimSpace(string(jit)) == "0" {
			kernelErr = errors.New("the kernel's BPF JIT is off (/proc/sys/net/core/bpf_jit_enable is 0)")
		}
	})
	return kernelErr
}

func (k kernelEngine) Load(b *Benchmark) (Instance, error) {
	if err := k.Available(); err != nil {
		return nil, err
	}
	spec, err := b.Spec()
	if err != nil {
		return nil, err
	}
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		return nil, verifierError(err)
	}
	if b.Setup != "" {
		if _, err := coll.Programs[b.Setup].Run(&ebpf.RunOptions{Data: b.Packet(b.N)}); err != nil {
			coll.Close()
			return nil, fmt.Errorf("%s: %w", b.Setup, err)
		}
	}
	return &kernelInstance{coll: coll, prog: coll.Programs[b.Name]}, nil
}

// verifierError adds the end of the verifier's log to a load error.
func verifierError(err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) && len(ve.Log) > 0 {
		log := ve.Log
		if len(log) > 20 {
			log = log[len(log)-20:]
		}
		return fmt.Errorf("%w\nverifier log (end):\n%s", err, strings.Join(log, "\n"))
	}
	return err
}

type kernelInstance struct {
	coll *ebpf.Collection
	prog *ebpf.Program
}

func (i *kernelInstance) Run(packet []byte, repeat int) (uint32, float64, error) {
	ret, d, err := i.prog.Benchmark(packet, repeat, nil)
	return ret, float64(d.Nanoseconds()), err
}

func (i *kernelInstance) Close() error {
	i.coll.Close()
	return nil
}
