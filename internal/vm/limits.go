package vm

import "time"

// The frame and loop limits every engine enforces, with the kernel's names.
// Stack layout: MaxFrames frames of StackSize bytes each, frame 0 at the top.
const (
	StackSize = 512 // bytes per frame (MAX_BPF_STACK)
	MaxFrames = 8   // MAX_CALL_FRAMES: the entry function and 7 nested calls
	// MaxLoops is the may_goto budget per function invocation of the
	// counted mode (BPF_MAX_LOOPS), the kernel's where its JIT has no
	// timed may_goto. bpf_loop takes at most as many iterations.
	MaxLoops = 8 * 1024 * 1024
	// MaxTimedLoops is how many may_goto iterations the timed mode allows
	// between two readings of the clock (BPF_MAX_TIMED_LOOPS).
	MaxTimedLoops = 0xffff
	// MayGotoTimeout is how long the may_goto loops of one function
	// invocation may run in the timed mode, from the first clock reading
	// (NSEC_PER_SEC / 4 in bpf_check_timed_may_goto).
	MayGotoTimeout = time.Second / 4
	// MaxTailCalls is the kernel's MAX_TAIL_CALL_CNT: how many tail calls
	// one invocation of an entry program may make.
	MaxTailCalls = 33
)

// Helper IDs that engines implement or rewrite themselves.
const (
	// TailCallHelperID is BPF_FUNC_tail_call: a tail call replaces the
	// running program.
	TailCallHelperID = 12
	// LoopHelperID is BPF_FUNC_loop, which the kernel's verifier may
	// inline (Facts.InlinedLoops).
	LoopHelperID = 181
)

// DefaultBudget bounds a run at about a second of interpretation: the
// executed-instruction budget of a run whose RunOptions.Budget is 0.
const DefaultBudget = 1 << 30

// CallbackCost is what each callback invocation (bpf_loop,
// bpf_for_each_map_elem) takes from the run's budget on top of the
// callback's own instructions: entering and leaving a callback from Go
// costs the interpreter about as much as that many instructions, so that a
// budget stays about as long in time with callbacks as without. It is not
// counted in Result.Steps.
const CallbackCost = 16
