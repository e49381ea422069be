package ebpfvm

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"

	"github.com/ebpfvm/ebpfvm/internal/helpers"
	"github.com/ebpfvm/ebpfvm/internal/interp"
	"github.com/ebpfvm/ebpfvm/internal/maps"
	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/isa"
)

// ProgramOptions configure NewProgram.
type ProgramOptions struct {
	// Type is the program type; it decides what the context is and which
	// helpers exist. The zero value, ebpf.UnspecifiedProgram, is ebpfvm's
	// generic type for embedding: r1 points to a copy of RunOptions.Context
	// and r2 holds its length.
	Type ebpf.ProgramType
	// Helpers the program may call, besides the kernel's helpers that
	// programs of the kernel's types get (the generic type gets none);
	// they replace standard helpers with the same ID. Calls to helpers
	// that do not exist are refused at load time.
	Helpers *Helpers
	// TraceOutput receives bpf_trace_printk output; nil discards it.
	TraceOutput io.Writer
	// NumCPU is the number of virtual CPUs (RunOptions.CPU ranges over
	// them); 0 means runtime.NumCPU().
	NumCPU int
	// Verify runs the verifier before the program is loaded and refuses
	// the program if it rejects it, with the verifier's error (a
	// *verifier.Error). Verified programs still run in checked mode, with
	// every memory access tested: the verifier's soundness is still being
	// established against the kernel's, so skipping the checks for
	// verified programs is a later step.
	Verify VerifyMode
	// ContextSize is the size of the context the verifier assumes for the
	// generic type (ebpf.UnspecifiedProgram): accesses through r1 must
	// stay below it.
	ContextSize int
	// License is the program's license; GPL-only helpers need a
	// GPL-compatible one when the program is verified.
	License string
}

// Program is a loaded program. It is safe to run from many goroutines at
// once.
type Program struct {
	id       uint32
	name     string
	typ      ebpf.ProgramType
	code     *interp.Code
	helpers  *Helpers
	maps     []maps.Map // maps the program references: granted at run start
	cpus     int
	machines sync.Pool
}

// NewProgram checks the program's structure and prepares it to run. Until
// the verifier exists, every program runs in checked mode: each memory
// access is tested against the regions the run was given.
func NewProgram(insns []isa.Instruction, opts *ProgramOptions) (*Program, error) {
	if opts == nil {
		opts = &ProgramOptions{}
	}
	h := &Helpers{}
	if opts.Type != ebpf.UnspecifiedProgram {
		h = newStandardHelpers(opts.TraceOutput)
	}
	if opts.Helpers != nil {
		h.Merge(opts.Helpers)
	}
	if err := registerTypeHelpers(h, opts.Type); err != nil {
		return nil, err
	}
	if opts.Verify != VerifyNone {
		if err := verifyProgram(insns, opts, h); err != nil {
			return nil, err
		}
	}
	code, err := interp.Compile(insns, h)
	if err != nil {
		return nil, err
	}
	return &Program{id: programIDs.Add(1), typ: opts.Type, code: code, helpers: h, cpus: numCPU(opts.NumCPU)}, nil
}

// programIDs numbers programs, as the kernel's program IDs do.
var programIDs atomic.Uint32

// ID is a number unique to the program in this process; looking up a prog
// array slot from Go yields it, as the kernel yields the program's ID.
func (p *Program) ID() uint32 { return p.id }

func numCPU(n int) int {
	if n <= 0 {
		return runtime.NumCPU()
	}
	return n
}

// Close releases the maps the program uses. The program must not run
// afterwards.
func (p *Program) Close() error {
	for _, m := range p.maps {
		m.Release()
	}
	p.maps = nil
	return nil
}

// Name returns the program's name (its function name in the ELF object).
func (p *Program) Name() string { return p.name }

// Type returns the program type.
func (p *Program) Type() ebpf.ProgramType { return p.typ }

// Instructions returns the number of instruction slots.
func (p *Program) Instructions() int { return p.code.Len() }

// RunOptions are the inputs of Program.Run, as for BPF_PROG_TEST_RUN.
type RunOptions struct {
	// Data is the packet of XDP and socket-buffer programs; for the
	// generic type, the packet that LD_ABS/LD_IND read.
	Data []byte
	// Context is the context: xdp_md or __sk_buff for packet programs
	// (optional, with the kernel's rules on which fields may be set), the
	// argument blob of tracing and syscall programs, the memory r1 points
	// to for the generic type.
	Context []byte
	// Repeat runs the program this many times on the same memory (at least
	// once); Duration is the mean.
	Repeat int
	// CPU is the virtual CPU the program runs on: per-CPU maps use its
	// slot and bpf_get_smp_processor_id returns it.
	CPU int
	// MaxInstructions bounds each run; 0 means about a billion.
	MaxInstructions uint64
}

// RunResult is the outcome of Program.Run.
type RunResult struct {
	ReturnValue  uint64        // r0 at exit (32 bits for the kernel's program types)
	DataOut      []byte        // the packet after the last run
	ContextOut   []byte        // the context after the last run
	Duration     time.Duration // mean time per run
	Instructions uint64        // instructions executed by the last run
}

// runner is a machine plus the memory for a run's inputs.
type runner struct {
	m       *interp.Machine
	scratch *mem.Buffer // contexts and generic data
	packet  *mem.Buffer // a frame in low memory for packet programs
}

// buffer returns scratch memory of at least n bytes.
func (r *runner) buffer(n int) (*mem.Buffer, error) {
	if r.scratch != nil && cap(r.scratch.Bytes()) >= n {
		return r.scratch, nil
	}
	b, err := mem.Alloc(n)
	if err != nil {
		return nil, err
	}
	if r.scratch != nil {
		r.scratch.Free()
	}
	r.scratch = b
	return b, nil
}

// Run runs the program as BPF_PROG_TEST_RUN would and returns r0 and the
// final packet and context.
func (p *Program) Run(opts *RunOptions) (RunResult, error) {
	if opts == nil {
		opts = &RunOptions{}
	}
	if opts.CPU < 0 || opts.CPU >= p.cpus {
		return RunResult{}, fmt.Errorf("CPU %d does not exist (the program has %d virtual CPUs)", opts.CPU, p.cpus)
	}
	r, _ := p.machines.Get().(*runner)
	if r == nil {
		m, err := interp.NewMachine()
		if err != nil {
			return RunResult{}, err
		}
		r = &runner{m: m}
	}
	defer p.machines.Put(r)
	switch p.typ {
	case ebpf.XDP:
		return p.runXDP(r, opts)
	case ebpf.SchedCLS, ebpf.SchedACT, ebpf.SocketFilter, ebpf.CGroupSKB, ebpf.LWTIn, ebpf.LWTOut, ebpf.LWTXmit:
		return p.runSKB(r, opts)
	}
	return p.runGeneric(r, opts)
}

// runGeneric copies Context (r1, r2 = its length) and Data (the packet of
// the legacy loads) into program memory.
func (p *Program) runGeneric(r *runner, opts *RunOptions) (RunResult, error) {
	n := len(opts.Context) + len(opts.Data)
	buf, err := r.buffer(n)
	if err != nil {
		return RunResult{}, fmt.Errorf("allocating run memory: %w", err)
	}
	b := buf.Bytes()[:cap(buf.Bytes())]
	ctx := b[:len(opts.Context)]
	copy(ctx, opts.Context)
	data := b[len(opts.Context):n]
	copy(data, opts.Data)
	ctxAddr := buf.Addr()
	dataAddr := ctxAddr + uint64(len(ctx))
	res, err := p.repeat(r, opts, func(m *interp.Machine) [5]uint64 {
		m.Regions.Add(mem.Region{Start: ctxAddr, End: ctxAddr + uint64(len(ctx)), Writable: true, Kind: mem.KindContext})
		m.Regions.Add(mem.Region{Start: dataAddr, End: dataAddr + uint64(len(data)), Writable: true, Kind: mem.KindPacket})
		m.PacketStart, m.PacketEnd = dataAddr, dataAddr+uint64(len(data))
		return [5]uint64{ctxAddr, uint64(len(ctx))}
	})
	if err != nil {
		return RunResult{}, err
	}
	res.ContextOut = cloneBytes(ctx)
	res.DataOut = cloneBytes(data)
	return res, nil
}

// repeat runs the program opts.Repeat times on the same memory. setup adds
// the run's regions after the stack and returns r1-r5; it runs once.
func (p *Program) repeat(r *runner, opts *RunOptions, setup func(*interp.Machine) [5]uint64) (RunResult, error) {
	m := r.m
	m.SetCallXHelpers(p.helpers)
	m.TailCalls = tailCalls{}
	n := max(opts.Repeat, 1)
	m.Reset()
	m.CPU = opts.CPU
	args := setup(m)
	for _, mp := range p.maps {
		if err := m.GrantMap(mp.Handle(), mp.Regions()); err != nil {
			return RunResult{}, err
		}
	}
	var endRun func() error
	if p.typ != ebpf.UnspecifiedProgram {
		// Release what the program left behind (a held spin lock, an
		// unsubmitted ring buffer record): the kernel's verifier would
		// have refused such a program.
		endRun = func() error {
			if err := helpers.EndRun(&m.Env); err != nil {
				return fmt.Errorf("program %s: %w", p.name, err)
			}
			return nil
		}
	}
	start := time.Now()
	res, err := m.RunRepeat(p.code, args, interp.RunOptions{Budget: opts.MaxInstructions, Checked: true}, n, endRun)
	if err != nil {
		return RunResult{}, err
	}
	elapsed := time.Since(start)
	r0 := res.R0
	if isKernelType(p.typ) {
		r0 = uint64(uint32(r0))
	}
	return RunResult{ReturnValue: r0, Duration: elapsed / time.Duration(n), Instructions: res.Steps}, nil
}

// tailCalls resolves bpf_tail_call through prog array handles.
type tailCalls struct{}

func (tailCalls) TailCallTarget(mapHandle, index uint64) (*interp.Code, bool) {
	m, ok := maps.FromHandle(mapHandle)
	if !ok {
		return nil, false
	}
	pa, ok := m.(maps.ProgArray)
	if !ok || uint32(index) >= m.Spec().MaxEntries {
		return nil, false
	}
	prog, _ := pa.Program(uint32(index)).(*Program)
	if prog == nil {
		return nil, true
	}
	return prog.code, true
}

// cloneBytes copies b; nil for an empty b, so that runs without inputs do
// not allocate.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
