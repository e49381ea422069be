package verifier

import (
	"fmt"
	"time"

	"github.com/ebpfvm/ebpfvm/isa"
)

// Mode chooses between the kernel's verdicts for root and the stricter
// rules for untrusted programs.
type Mode uint8

const (
	// Privileged gives the kernel's verdicts for a loader with CAP_BPF and
	// CAP_PERFMON: bounded loops, bpf-to-bpf calls, pointer comparisons,
	// pointers in maps and r0, uninitialized stack reads.
	Privileged Mode = iota
	// Untrusted is for plugin hosts: the kernel's rules for unprivileged
	// programs: no pointer leaks (into maps, r0, helpers, comparisons),
	// no uninitialized stack reads, no pointer arithmetic that could
	// reveal addresses.
	Untrusted
)

// Options configure Verify.
type Options struct {
	// Type is the program type; nil means Generic(0).
	Type *ProgramType
	Mode Mode
	// LogLevel: 0 none, 1 the failing path and the error, 2 every
	// instruction with the register state (the kernel's BPF_LOG_LEVEL1/2).
	LogLevel int
	// Loads says what each ld_imm64 that references a map loads, by the
	// slot index of the ld_imm64.
	Loads map[int]MapLoad
	// Maps resolves map ld_imm64s that Loads does not name: map[fd:N] and
	// map[idx:N] refer to Maps[N].
	Maps []*Map
	// FuncInfo says the program came with BTF function information (as
	// from an ELF object), which the kernel demands before it accepts
	// callbacks (ld_imm64 function references).
	FuncInfo bool
	// Funcs describe the program's functions as its BTF does (func_info
	// and prototypes), by start instruction; they imply FuncInfo. The
	// functions of global linkage are verified as the kernel verifies
	// them: once, on their own, against their prototype (global.go).
	// Subprograms not listed are static.
	Funcs []Func
	// GPL: the program's license is GPL-compatible (GPL-only helpers).
	GPL bool
	// Kfuncs are the kernel functions the program may call with
	// BPF_PSEUDO_KFUNC_CALL (src_reg 2, imm = ID); nil: none (kfunc.go).
	Kfuncs KfuncSet
	// MaxInstructions is the processed-instruction budget (default
	// 1,000,000, the kernel's BPF_COMPLEXITY_LIMIT_INSNS); Budget.Insns,
	// when set, takes precedence.
	MaxInstructions int
	// Budget bounds the verification's work and memory.
	Budget Budget
}

// Budget bounds what a verification may spend, so that a host can refuse
// a pathological program instead of spending minutes or gigabytes on it.
// A zero field is the kernel's limit where the kernel has one, and no
// limit where it has none. Exceeding a limit rejects the program with a
// *Error (Insn -1 except for Insns, which names the instruction reached).
type Budget struct {
	// Insns bounds the instructions processed, counted as the kernel's
	// "processed N insns" (0: 1,000,000, BPF_COMPLEXITY_LIMIT_INSNS);
	// the error is the kernel's "BPF program is too large. Processed N
	// insn".
	Insns int
	// States bounds the states stored for pruning at any one time (0:
	// no limit, as in the kernel).
	States int
	// Memory bounds the bytes held by stored, queued and loop states
	// (an estimate of the verifier's state memory; 0: no limit, as in
	// the kernel, which charges it to the loader's memory cgroup).
	Memory int64
	// Time bounds the wall time of the verification (0: no limit; the
	// kernel stops only on a fatal signal).
	Time time.Duration
}

// maxInsnsUnpriv is BPF_MAXINSNS: BPF_PROG_LOAD refuses longer programs
// from loaders without CAP_BPF (E2BIG, before the verifier runs).
const maxInsnsUnpriv = 4096

// Error is a program the verifier rejected: the instruction and the
// kernel's message.
type Error struct {
	Insn int    // slot index, -1 for errors about the whole program
	Msg  string // the kernel's text, e.g. "R0 !read_ok"
	Log  string // the verifier log, when a level was set
}

func (e *Error) Error() string {
	if e.Insn < 0 {
		return "verifier: " + e.Msg
	}
	return fmt.Sprintf("verifier: instruction %d: %s", e.Insn, e.Msg)
}

// Result describes an accepted program.
type Result struct {
	Log string
	// InsnsProcessed counts the instructions the abstract interpretation
	// went through (the kernel's "processed N insns").
	InsnsProcessed int
	// States is the number of states stored for pruning.
	States, PeakStates int
	// StackDepth is the stack size of each subprogram.
	StackDepth []int
	// Subprograms are the start instructions of the subprograms.
	Subprograms []int
	// MaxCtxOffset is the end (offset + size) of the furthest context
	// access the program makes, the kernel's max_ctx_offset: a context
	// shorter than this must not be handed to the program (the kernel's
	// BPF_PROG_TEST_RUN refuses it with EINVAL for syscall and raw
	// tracepoint programs).
	MaxCtxOffset int
	// InlinedLoops are the bpf_loop call sites that the kernel's
	// verifier replaces with an inlined loop (flags the constant 0 and
	// the same callback at every visit), in order. The inlined loop
	// compares nr_loops as 64 bits and leaves -E2BIG as a 32-bit value
	// (0xfffffff9) in r0, where the helper takes nr_loops as a u32 and
	// returns -E2BIG in 64 bits.
	InlinedLoops []int
	Duration     time.Duration
}

// Verify checks that the program is safe to run. It returns a *Error when
// it is not.
func Verify(insns []isa.Instruction, opts *Options) (*Result, error) {
	if opts == nil {
		opts = &Options{}
	}
	start := time.Now()
	v := newVerifier(insns, opts)
	err := v.run()
	res := &Result{
		Log:            v.log.String(),
		InsnsProcessed: v.processed,
		States:         v.totalStates,
		PeakStates:     v.peakStates,
		MaxCtxOffset:   v.maxCtxOff,
		InlinedLoops:   v.inlinedLoops(),
		Duration:       time.Since(start),
	}
	for _, sp := range v.subprogs {
		res.Subprograms = append(res.Subprograms, sp.start)
		res.StackDepth = append(res.StackDepth, sp.stackDepth)
	}
	v.releaseStates()
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Log = res.Log
		}
		return res, err
	}
	return res, nil
}
