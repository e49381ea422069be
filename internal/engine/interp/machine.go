package interp

import (
	"fmt"
	"time"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
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
	env    vm.Env // the run state helpers see
	stack  *mem.Buffer
	top    uint64 // r10 of the entry function: the stack's end
	frames [vm.MaxFrames]frame
	dirty  int // frames whose stack memory the last run may have written

	// State of the current run that helpers and callbacks need.
	code      *Code           // the running program (the loop keeps it here)
	depth     int             // its frame
	pc        int             // the next instruction, while the loop calls out (Machine.slow)
	steps     uint64          // instructions executed so far
	budget    uint64          // where the loop next stops to check: limit, or the end of a cancel slice
	limit     uint64          // the run's budget
	done      <-chan struct{} // closed: the run is canceled
	sliced    bool            // loop re-entered after a cancel slice: its state is here
	regs      [16]uint64      // the registers across a cancel slice
	checked   bool            // this run tests memory accesses: it entered checked code
	mayGoto   vm.MayGotoMode
	clock     func() int64 // monotonic nanoseconds, for timed may_goto
	tailCalls int          // tail calls taken in this invocation of the entry program
	tailErr   error        // a tail call's resolver failed: the run fails
	callx     *vm.Helpers  // the helpers callx may reach by ID
}

// NewMachine allocates a machine with its own stack.
func NewMachine() (*Machine, error) {
	s, err := mem.Alloc(vm.StackSize * vm.MaxFrames)
	if err != nil {
		return nil, fmt.Errorf("allocating the stack: %w", err)
	}
	m := &Machine{stack: s, top: s.Addr() + vm.StackSize*vm.MaxFrames, dirty: vm.MaxFrames}
	m.env.SetCaller(m)
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
	m.clearStack()
	m.env.Reset(mem.Region{Start: m.stack.Addr(), End: m.StackTop(), Writable: true, Kind: mem.KindStack})
}

// rerun prepares another run on the same memory: the stack is cleared, the
// first keepRegions regions and keepGranted map grants stay, the rest
// (granted by helpers during the last run) go.
func (m *Machine) rerun(keepRegions, keepGranted int) {
	m.clearStack()
	m.env.Rerun(keepRegions, keepGranted)
}

func (m *Machine) clearStack() {
	if m.dirty > 0 {
		b := m.stack.Bytes()
		clear(b[len(b)-m.dirty*vm.StackSize:])
		m.dirty = 0
	}
}

// monotonicBase anchors hostClock: time.Since reads the monotonic clock.
var monotonicBase = time.Now()

// hostClock is the default Clock: monotonic nanoseconds since the package
// was initialised.
func hostClock() int64 { return int64(time.Since(monotonicBase)) }
