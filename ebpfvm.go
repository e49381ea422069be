// Package ebpfvm runs eBPF programs in user space, in any Go process, with
// the Linux kernel's semantics: the same bytecode, the same instruction
// semantics down to division by zero and 32-bit zero extension, helpers with
// the kernel's IDs, and memory safety for programs that were never verified.
//
// The pipeline is one package per stage:
//
//	isa               bytes <-> instructions, validation, asm/disasm
//	internal/interp   decoded form and the interpreter
//	internal/mem      off-heap program memory and the region table
//	ebpfvm (here)     programs, run options, helpers: the public API
//
// A minimal embedding:
//
//	insns, _ := isa.Assemble("r0 = 42\nexit")
//	prog, _ := ebpfvm.NewProgram(insns, nil)
//	res, _ := prog.Run(&ebpfvm.RunOptions{})
//	fmt.Println(res.ReturnValue) // 42
package ebpfvm

import (
	"fmt"
	"sync"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/interp"
	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/isa"
)

// Helper types, shared with the engine.
type (
	// HelperFunc implements a helper: it gets the run's Env and r1-r5 and
	// returns r0. An error aborts the run.
	HelperFunc = interp.HelperFunc
	// Helper is a helper function with its Linux ID and name.
	Helper = interp.Helper
	// Helpers is a set of helpers and kfuncs keyed by ID.
	Helpers = interp.Helpers
	// Env is what a helper sees of the run: memory regions, Stop, Value.
	Env = interp.Env
	// RunError is a run-time failure at one instruction.
	RunError = interp.Error
)

// Run-time errors, wrapped in *RunError.
var (
	ErrBudget       = interp.ErrBudget
	ErrCallDepth    = interp.ErrCallDepth
	ErrMisaligned   = interp.ErrMisaligned
	ErrAccessDenied = mem.ErrAccessDenied
)

// ProgramOptions configure NewProgram.
type ProgramOptions struct {
	// Helpers the program may call. Calls to helpers that are not in the
	// set are refused at load time.
	Helpers *Helpers
}

// Program is a loaded program. It is safe to run from many goroutines at
// once.
type Program struct {
	code     *interp.Code
	helpers  *Helpers
	machines sync.Pool
}

// NewProgram checks the program's structure and prepares it to run. Until
// the verifier exists, every program runs in checked mode: each memory
// access is tested against the regions the run was given.
func NewProgram(insns []isa.Instruction, opts *ProgramOptions) (*Program, error) {
	if opts == nil {
		opts = &ProgramOptions{}
	}
	h := opts.Helpers.Clone()
	code, err := interp.Compile(insns, h)
	if err != nil {
		return nil, err
	}
	return &Program{code: code, helpers: h}, nil
}

// Instructions returns the number of instruction slots.
func (p *Program) Instructions() int { return p.code.Len() }

// RunOptions are the inputs of Program.Run.
type RunOptions struct {
	// Context is copied into program memory; r1 points to the copy and r2
	// holds its length. The copy is writable and returned as ContextOut.
	Context []byte
	// Data is the packet the legacy packet loads (LD_ABS/LD_IND) read.
	Data []byte
	// Repeat runs the program this many times on the same memory (at least
	// once); Duration is the mean.
	Repeat int
	// MaxInstructions bounds each run; 0 means about a billion.
	MaxInstructions uint64
}

// RunResult is the outcome of Program.Run.
type RunResult struct {
	ReturnValue  uint64        // r0 at exit
	ContextOut   []byte        // the context memory after the last run
	DataOut      []byte        // the packet data after the last run
	Duration     time.Duration // mean time per run
	Instructions uint64        // instructions executed by the last run
}

// runner is a machine plus the scratch memory for a run's inputs.
type runner struct {
	m       *interp.Machine
	scratch *mem.Buffer
}

func newRunner() (*runner, error) {
	m, err := interp.NewMachine()
	if err != nil {
		return nil, err
	}
	return &runner{m: m}, nil
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

// Run runs the program and returns r0 and the final context memory.
func (p *Program) Run(opts *RunOptions) (RunResult, error) {
	if opts == nil {
		opts = &RunOptions{}
	}
	r, _ := p.machines.Get().(*runner)
	if r == nil {
		var err error
		if r, err = newRunner(); err != nil {
			return RunResult{}, err
		}
	}
	defer p.machines.Put(r)

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

	repeat := max(opts.Repeat, 1)
	m := r.m
	m.SetCallXHelpers(p.helpers)
	var res interp.Result
	start := time.Now()
	for range repeat {
		m.Reset()
		m.Regions.Add(mem.Region{Start: ctxAddr, End: ctxAddr + uint64(len(ctx)), Writable: true, Kind: mem.KindContext})
		m.Regions.Add(mem.Region{Start: dataAddr, End: dataAddr + uint64(len(data)), Writable: true, Kind: mem.KindPacket})
		m.PacketStart, m.PacketEnd = dataAddr, dataAddr+uint64(len(data))
		res, err = m.Run(p.code, [5]uint64{ctxAddr, uint64(len(ctx))}, interp.RunOptions{Budget: opts.MaxInstructions, Checked: true})
		if err != nil {
			return RunResult{}, err
		}
	}
	elapsed := time.Since(start)
	return RunResult{
		ReturnValue:  res.R0,
		ContextOut:   cloneBytes(ctx),
		DataOut:      cloneBytes(data),
		Duration:     elapsed / time.Duration(repeat),
		Instructions: res.Steps,
	}, nil
}

// cloneBytes copies b; nil for an empty b, so that runs without inputs do
// not allocate.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
