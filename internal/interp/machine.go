package interp

import (
	"fmt"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/mem"
)

// Stack layout: MaxFrames frames of StackSize bytes each, frame 0 at the top.
const (
	StackSize = 512 // bytes per frame (MAX_BPF_STACK)
	MaxFrames = 8   // MAX_CALL_FRAMES: the entry function and 7 nested calls
	// MaxLoops is the may_goto budget per function invocation of the
	// counted mode (BPF_MAX_LOOPS), the kernel's where its JIT has no
	// timed may_goto.
	MaxLoops = 8 * 1024 * 1024
	// MaxTimedLoops is how many may_goto iterations the timed mode allows
	// between two readings of the clock (BPF_MAX_TIMED_LOOPS).
	MaxTimedLoops = 0xffff
	// MayGotoTimeout is how long the may_goto loops of one function
	// invocation may run in the timed mode, from the first clock reading
	// (NSEC_PER_SEC / 4 in bpf_check_timed_may_goto).
	MayGotoTimeout = time.Second / 4
)

type frame struct {
	code    *Code  // program to return to (tail calls change programs)
	ret     int32  // instruction to return to
	maygoto uint32 // may_goto iterations left before the next refill (the kernel's count slot)
	// mayGotoStart is the clock reading that started this invocation's
	// may_goto time (the kernel's timestamp slot); mayGotoStarted says it
	// was taken.
	mayGotoStarted bool
	mayGotoStart   int64
	saved          [4]uint64 // callee-saved r6-r9
	fp             uint64    // r10
}

// Machine is the reusable state of runs: registers, call frames, the stack
// and the region table. A Machine runs one program at a time; keep one per
// goroutine (or pool them).
type Machine struct {
	Env
	stack  *mem.Buffer
	top    uint64 // r10 of the entry function: the stack's end
	frames [MaxFrames]frame
	dirty  int // frames whose stack memory the last run may have written

	// State of the current run that helpers and callbacks need.
	code      *Code  // the program running when a helper was called
	depth     int    // its frame
	steps     uint64 // instructions executed so far
	budget    uint64
	checked   bool // this run tests memory accesses: it entered checked code
	mayGoto   MayGotoMode
	clock     func() int64 // monotonic nanoseconds, for timed may_goto
	tailCalls int          // tail calls taken in this invocation of the entry program
	tailErr   error        // a tail call's resolver failed: the run fails
}

// NewMachine allocates a machine with its own stack.
func NewMachine() (*Machine, error) {
	s, err := mem.Alloc(StackSize * MaxFrames)
	if err != nil {
		return nil, fmt.Errorf("allocating the stack: %w", err)
	}
	m := &Machine{stack: s, top: s.Addr() + StackSize*MaxFrames, dirty: MaxFrames}
	m.machine = m
	return m, nil
}

// Close frees the machine's stack.
func (m *Machine) Close() error { return m.stack.Free() }

// StackTop is r10 of the entry function.
func (m *Machine) StackTop() uint64 { return m.top }

// Reset prepares the machine for a new run: the stack frames the previous
// run used are zeroed (nothing leaks from one run into the next) and the
// region table holds only the stack. Anything still held (by a caller that
// granted maps and never ran) is released.
func (m *Machine) Reset() {
	m.releaseHeld()
	m.clearStack()
	m.RunID++
	m.Regions.Reset()
	m.Regions.Add(mem.Region{Start: m.stack.Addr(), End: m.StackTop(), Writable: true, Kind: mem.KindStack})
	m.PacketStart, m.PacketEnd = 0, 0
	m.Prog = nil
	m.stopped = false
	m.granted = m.granted[:0]
}

// rerun prepares another run on the same memory: the stack is cleared, the
// first keepRegions regions and keepGranted map grants stay, the rest
// (granted by helpers during the last run) go.
func (m *Machine) rerun(keepRegions, keepGranted int) {
	m.clearStack()
	m.RunID++
	m.Regions.Truncate(keepRegions)
	m.granted = m.granted[:keepGranted]
	m.stopped = false
}

func (m *Machine) clearStack() {
	if m.dirty > 0 {
		b := m.stack.Bytes()
		clear(b[len(b)-m.dirty*StackSize:])
		m.dirty = 0
	}
}

// RunOptions are the per-run settings of Machine.Run.
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
}

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

// DefaultBudget bounds a run at about a second of interpretation.
const DefaultBudget = 1 << 30

// CallbackCost is what each callback invocation (bpf_loop,
// bpf_for_each_map_elem) takes from the run's budget on top of the
// callback's own instructions: entering and leaving a callback from Go
// costs the interpreter about as much as that many instructions, so that a
// budget stays about as long in time with callbacks as without. It is not
// counted in Result.Steps.
const CallbackCost = 16

// monotonicBase anchors hostClock: time.Since reads the monotonic clock.
var monotonicBase = time.Now()

// hostClock is the default Clock: monotonic nanoseconds since the package
// was initialised.
func hostClock() int64 { return int64(time.Since(monotonicBase)) }

// Result is the outcome of a run.
type Result struct {
	R0    uint64
	Steps uint64 // instructions executed
}
