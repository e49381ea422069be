package vm

import "github.com/ebpfvm/ebpfvm/isa"

// Engine compiles programs and makes the machines that run them: the
// interpreter (internal/engine/interp) and, later, the JIT. The root
// package picks one per program (ProgramOptions.Engine) and holds only
// these interfaces, so an engine is added without touching the rest.
type Engine interface {
	// Name is the engine's name as the command line spells it
	// ("interp", "jit").
	Name() string
	// Compile validates and decodes (or translates) a program and binds
	// its helper and kfunc calls to h. checked code tests every memory
	// access against the run's region table; unchecked code is for
	// programs the verifier accepted with the maps, context and helpers
	// they run with, and facts say what the verifier found.
	Compile(insns []isa.Instruction, h *Helpers, checked bool, facts Facts) (Code, error)
	// NewMachine allocates the per-goroutine state of runs.
	NewMachine() (Machine, error)
}

// Code is a compiled program. It is immutable and may be shared by any
// number of concurrent runs on machines of the engine that compiled it.
type Code interface {
	// Engine is the engine that compiled the code; only its machines
	// run it, and a tail call reaches only code of the same engine.
	Engine() Engine
	// Len is the number of instruction slots.
	Len() int
	// Checked reports whether every memory access is tested against the
	// region table (the program was not verified).
	Checked() bool
}

// Machine is the reusable state of runs: registers, call frames, the
// stack, and the Env helpers see. A Machine runs one program at a time;
// keep one per goroutine (or pool them).
type Machine interface {
	// Env is the run state that helpers and the program type's setup
	// use. It belongs to the machine and lives as long as it.
	Env() *Env
	// StackTop is r10 of the entry function.
	StackTop() uint64
	// Reset prepares the machine for a new run: the stack the last run
	// used is zeroed, the region table holds only the stack, and what
	// the Env still held is released.
	Reset()
	// SetCallXHelpers sets the helpers that callx may reach by ID.
	SetCallXHelpers(h *Helpers)
	// RunRepeat runs c n times (at least once), as BPF_PROG_TEST_RUN's
	// repeat does: on the same memory, the stack cleared between runs,
	// the regions set up before the first run kept. after, when not nil,
	// runs after each run and may turn it into an error. What the runs
	// held is released before it returns.
	RunRepeat(c Code, args [5]uint64, opts RunOptions, n int, after func() error) (Result, error)
	// Close frees the machine's memory.
	Close() error
}

// Facts are what the verifier found about a program that an engine
// follows, as the kernel's verifier rewrites the program with them.
type Facts struct {
	// InlinedLoops are the bpf_loop calls that the kernel's verifier
	// replaces with a loop in BPF code (verifier.Result.InlinedLoops).
	InlinedLoops []int
}

// RunOptions are the per-run settings of Machine.RunRepeat.
type RunOptions struct {
	// Budget is the most instructions the run may execute; 0 means
	// DefaultBudget.
	Budget uint64
	// Checked tests every memory access against the region table even
	// when the code was verified (Code.Checked). Code that was not
	// verified always runs checked.
	Checked bool
	// MayGoto chooses how may_goto bounds loops: the kernel's timed mode
	// (the default) or the deterministic counted mode.
	MayGoto MayGotoMode
	// Clock returns monotonic nanoseconds for the timed may_goto; nil
	// means the host's monotonic clock. Tests set it to make the timed
	// mode deterministic.
	Clock func() int64
	// Done, when not nil, ends the run with ErrCanceled once it is
	// closed (a context.Context's Done). Engines check it at every
	// helper call, between repeats, and at least every CancelInterval
	// executed instructions (so within that many instructions of every
	// loop back-edge).
	Done <-chan struct{}
}

// CancelInterval is the most instructions a run executes between two
// checks of RunOptions.Cancel.
const CancelInterval = 1 << 16

// MayGotoMode is how may_goto bounds the loops of a function invocation.
type MayGotoMode uint8

const (
	// MayGotoTimed is Linux's x86-64 JIT (6.15 and later): each function
	// invocation gets MaxTimedLoops iterations, then the clock is read
	// every MaxTimedLoops iterations and may_goto starts jumping once
	// MayGotoTimeout has passed since the first reading. How many
	// iterations a loop gets depends on the machine's speed.
	MayGotoTimed MayGotoMode = iota
	// MayGotoCounted allows exactly MaxLoops iterations per function
	// invocation, as the kernel does where its JIT has no timed may_goto
	// (and as it did before 6.15): the same result on every machine.
	MayGotoCounted
)

// Result is the outcome of a run.
type Result struct {
	R0    uint64
	Steps uint64 // instructions executed
}
