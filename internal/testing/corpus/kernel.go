package corpus

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/features"
	"github.com/cilium/ebpf/ringbuf"
	"github.com/cilium/ebpf/rlimit"
)

var (
	kernelOnce sync.Once
	kernelErr  error
)

// KernelAvailable returns nil when the kernel engine can run here, and
// otherwise an error saying why not (not Linux, no privileges, bpf()
// filtered, program types or ring buffers not supported).
func KernelAvailable() error {
	kernelOnce.Do(func() {
		// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; newer
		// ones do not need this, so its failure only matters if the probes
		// below fail too.
		memlockErr := rlimit.RemoveMemlock()
		for _, t := range []ebpf.ProgramType{ebpf.XDP, ebpf.SchedCLS, ebpf.Syscall} {
			if err := features.HaveProgramType(t); err != nil {
				kernelErr = fmt.Errorf("bpf() unavailable: loading a %s program: %w", t, err)
				if memlockErr != nil {
					kernelErr = fmt.Errorf("%w (and raising RLIMIT_MEMLOCK: %v)", kernelErr, memlockErr)
				}
				return
			}
		}
		if err := features.HaveMapType(ebpf.RingBuf); err != nil {
			kernelErr = fmt.Errorf("bpf() unavailable: ring buffers: %w", err)
		}
	})
	return kernelErr
}

// KernelEngine runs scenarios in the running kernel through cilium/ebpf:
// BPF_PROG_LOAD, BPF_PROG_TEST_RUN and the map syscalls.
//
// An instance locks its goroutine to its OS thread and pins the thread to
// one CPU from Load to Close, so that all runs of a scenario touch the
// same CPU's copy of per-CPU maps. Load, Run and Close must therefore be
// called from one goroutine, as Run (the package function) does.
type KernelEngine struct{}

// Name is "kernel".
func (KernelEngine) Name() string { return "kernel" }

// Load creates the collection in the kernel.
func (KernelEngine) Load(spec *ebpf.CollectionSpec) (Instance, error) {
	if err := KernelAvailable(); err != nil {
		return nil, err
	}
	unpin := pinThread()
	coll, err := ebpf.NewCollection(spec)
	if err != nil {
		unpin()
		return nil, withVerifierLog(err)
	}
	return &kernelInstance{coll: coll, unpin: unpin, readers: map[string]*ringbuf.Reader{}}, nil
}

// withVerifierLog adds the end of the verifier log to a load error.
func withVerifierLog(err error) error {
	var ve *ebpf.VerifierError
	if errors.As(err, &ve) {
		log := strings.Join(ve.Log, "\n")
		lines := strings.Split(log, "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		return fmt.Errorf("%w\nverifier log (end):\n%s", err, strings.Join(lines, "\n"))
	}
	return err
}

type kernelInstance struct {
	coll    *ebpf.Collection
	unpin   func()
	readers map[string]*ringbuf.Reader
}

func (k *kernelInstance) m(name string) (*ebpf.Map, error) {
	m := k.coll.Maps[name]
	if m == nil {
		return nil, fmt.Errorf("no map %q", name)
	}
	return m, nil
}

func (k *kernelInstance) Update(name string, key, value []byte) error {
	m, err := k.m(name)
	if err != nil {
		return err
	}
	if perCPU(m.Type()) {
		n, err := ebpf.PossibleCPU()
		if err != nil {
			return err
		}
		values := make([][]byte, n)
		values[0] = value
		for i := 1; i < n; i++ {
			values[i] = make([]byte, len(value))
		}
		return m.Update(key, values, ebpf.UpdateAny)
	}
	return m.Update(key, value, ebpf.UpdateAny)
}

func (k *kernelInstance) SetProg(name string, slot uint32, prog string) error {
	m, err := k.m(name)
	if err != nil {
		return err
	}
	p := k.coll.Programs[prog]
	if p == nil {
		return fmt.Errorf("no program %q", prog)
	}
	return m.Update(slot, p, ebpf.UpdateAny)
}

func (k *kernelInstance) SetInner(name string, key []byte, inner string) error {
	m, err := k.m(name)
	if err != nil {
		return err
	}
	im, err := k.m(inner)
	if err != nil {
		return err
	}
	return m.Update(key, im, ebpf.UpdateAny)
}

func (k *kernelInstance) Run(name string, in RunInput) (RunOutput, error) {
	p := k.coll.Programs[name]
	if p == nil {
		return RunOutput{}, fmt.Errorf("no program %q", name)
	}
	var out RunOutput
	opts := &ebpf.RunOptions{Repeat: uint32(max(in.Repeat, 1))}
	if in.Data != nil {
		opts.Data = in.Data
		// Room for programs that grow the packet.
		opts.DataOut = make([]byte, len(in.Data)+256)
	}
	var ctxOut []byte
	if in.Context != nil {
		opts.Context = in.Context
		ctxOut = make([]byte, len(in.Context))
		opts.ContextOut = ctxOut
	}
	loops := 1
	if p.Type() == ebpf.Syscall || p.Type() == ebpf.RawTracepoint {
		// These types take no repeat: run them in a loop, feeding each
		// run the context the previous one left.
		loops, opts.Repeat = max(in.Repeat, 1), 0
	}
	for i := range loops {
		if i > 0 && in.Context != nil {
			opts.Context = append([]byte(nil), ctxOut...)
		}
		ret, err := p.Run(opts)
		if err != nil {
			return RunOutput{}, err
		}
		out.Ret = uint64(ret)
	}
	if in.Data != nil {
		out.Data = opts.DataOut
	}
	if in.Context != nil {
		out.Context = ctxOut
	}
	return out, nil
}

func (k *kernelInstance) Close() error {
	for _, rd := range k.readers {
		rd.Close()
	}
	k.coll.Close()
	k.unpin()
	return nil
}

func (k *kernelInstance) Dump(name string) ([]RawEntry, error) {
	m, err := k.m(name)
	if err != nil {
		return nil, err
	}
	return dumpMap(m, func() mapIterator { return m.Iterate() })
}

func (k *kernelInstance) Records(name string) ([][]byte, error) {
	rd := k.readers[name]
	if rd == nil {
		m, err := k.m(name)
		if err != nil {
			return nil, err
		}
		if rd, err = ringbuf.NewReader(m); err != nil {
			return nil, err
		}
		k.readers[name] = rd
	}
	return drainRecords(rd.SetDeadline, func() ([]byte, error) {
		rec, err := rd.Read()
		return rec.RawSample, err
	})
}
