package interp

import (
	"errors"
	"fmt"
	"math/bits"
	"runtime/debug"
	"strings"
	"sync/atomic"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
	"github.com/ebpfvm/ebpfvm/isa"
)

// Run executes c from its first instruction with r1-r5 = args and r10 at the
// top of the stack. The caller has called Reset and added the regions the
// program may touch.
func (m *Machine) Run(c *Code, args [5]uint64, opts vm.RunOptions) (vm.Result, error) {
	return m.runRepeat(c, args, opts, 1, nil)
}

// RunRepeat runs c n times (at least once), as BPF_PROG_TEST_RUN's repeat
// does: on the same memory, with the stack cleared between runs and the
// regions the caller set up before the first run kept (what helpers granted
// during a run is dropped). after, when not nil, is called after each run
// (the helpers' end-of-run checks) and may turn it into an error. It returns
// the result of the last run. What the runs held (Env.Hold) is released
// before it returns.
func (m *Machine) RunRepeat(code vm.Code, args [5]uint64, opts vm.RunOptions, n int, after func() error) (res vm.Result, err error) {
	c, ok := code.(*Code)
	if !ok {
		m.env.ReleaseHeld()
		return vm.Result{}, fmt.Errorf("the interpreter cannot run code of the %s engine", code.Engine().Name())
	}
	return m.runRepeat(c, args, opts, n, after)
}

func (m *Machine) runRepeat(c *Code, args [5]uint64, opts vm.RunOptions, n int, after func() error) (res vm.Result, err error) {
	budget := opts.Budget
	if budget == 0 {
		budget = vm.DefaultBudget
	}
	// A fault in memory the runtime handed out would be a runtime bug; turn
	// it into an error rather than a crash of the host. Set up once for all
	// the runs: it is the largest part of a run's fixed cost otherwise.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	// What the runs were given (inner maps, ring buffers, tail-called
	// programs) stays alive until the last repeat is over, and goes then,
	// whatever the outcome: not when the machine is next used.
	defer m.env.ReleaseHeld()
	keepRegions, keepGranted := m.env.Regions.Len(), m.env.GrantedLen()
	// Checked mode is sticky: once a run has executed checked code (its
	// entry program, or an unverified program it tail-called), it stays
	// checked, in this and the following repeats. Unverified code may
	// have left state that verified code trusts inconsistent with the
	// regions: a caller's stack frame it wrote, the packet pointers of a
	// writable context image.
	m.checked = opts.Checked || c.checked
	m.mayGoto, m.clock, m.done = opts.MayGoto, opts.Clock, opts.Done
	if m.clock == nil {
		m.clock = hostClock
	}
	for i := range max(n, 1) {
		if i > 0 {
			m.rerun(keepRegions, keepGranted)
		}
		m.limit, m.steps, m.tailCalls = budget, 0, 0
		m.budget = m.sliceEnd()
		if m.canceled() {
			return res, &vm.Error{Index: 0, Insn: describe(c.raw, 0), Err: vm.ErrCanceled}
		}
		m.enterFrame(0)
		res, err = m.run(c, 0, 0, args)
		if m.tailErr != nil {
			// A tail call failed for want of resources (it fell
			// through, which is safe); the run fails.
			if err == nil {
				err = m.tailErr
			}
			m.tailErr = nil
		}
		if after != nil {
			if e := after(); e != nil && err == nil {
				err = e
			}
		}
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// Callback implements vm.Caller: it runs the subprogram (a callback) at
// the function handle fn with r1-r5 = args, from inside a helper
// (vm.Env.Call), and returns its r0. The callback gets a frame of its own,
// which counts against MaxFrames.
func (m *Machine) Callback(fn uint64, args [5]uint64) (uint64, error) {
	pc, ok := m.code.callbackPC(fn)
	if !ok {
		return 0, fmt.Errorf("%#x is not a callback of this program", fn)
	}
	base := m.depth + 1
	if base >= vm.MaxFrames {
		return 0, fmt.Errorf("%w: callback needs frame %d of %d", vm.ErrCallDepth, base+1, vm.MaxFrames)
	}
	m.chargeCallback()
	m.enterFrame(base)
	saved, savedPC := m.code, m.pc // the caller's loop resumes from them
	res, err := m.run(saved, pc, base, args)
	m.code, m.depth, m.pc = saved, base-1, savedPC
	m.setStackDepth(base - 1)
	return res.R0, err
}

// tailCallTarget follows the kernel's order of checks: an index outside the
// map fails without counting; then the counter is checked and incremented,
// so that a tail call into an empty slot still counts. It also reports
// whether the target must run checked. When the resolver fails (the run
// has no room for the target's memory regions) the tail call falls
// through, which is safe, and the run ends with the error (RunRepeat
// reports tailErr): the interpreter's loop needs no error path here.
func (m *Machine) tailCallTarget(mapHandle, index uint64) (*Code, bool) {
	tc := m.env.TailCalls
	if tc == nil || m.tailCalls >= vm.MaxTailCalls {
		// Past the limit nothing is resolved (or held): the call
		// falls through whatever the index.
		return nil, false
	}
	target, checked, inRange, err := tc.TailCallTarget(mapHandle, index)
	if err != nil {
		if m.tailErr == nil {
			m.tailErr = fmt.Errorf("bpf_tail_call: %w", err)
		}
		return nil, false
	}
	if !inRange {
		return nil, false
	}
	m.tailCalls++
	if target == nil {
		return nil, false
	}
	next, ok := target.(*Code)
	if !ok {
		// A prog array holds programs of one engine (the root checks
		// it when a slot is set), so this is a runtime bug; fall
		// through and fail the run rather than run foreign code.
		if m.tailErr == nil {
			m.tailErr = fmt.Errorf("bpf_tail_call: the target was compiled by the %s engine, not the interpreter", target.Engine().Name())
		}
		return nil, false
	}
	return next, checked || next.checked
}

// inlinedLoop is bpf_loop(nr_loops, callback, ctx, 0) as the kernel's
// verifier inlines it (inline_bpf_loop) where flags is a known 0 and the
// callback always the same: nr_loops is compared with BPF_MAX_LOOPS as a
// 64-bit value, and the error is -E2BIG written by a 32-bit move
// (0xfffffff9). The helper (internal/helpers) takes nr_loops as a u32 and
// returns -E2BIG in 64 bits.
func (m *Machine) inlinedLoop(nrLoops, fn, ctx uint64) (uint64, error) {
	const e2big = 7 // Linux's E2BIG
	if nrLoops > vm.MaxLoops {
		return 1<<32 - e2big, nil // -E2BIG in the low 32 bits, the high ones 0
	}
	for i := uint64(0); i < nrLoops; i++ {
		r, err := m.Callback(fn, [5]uint64{i, ctx})
		if err != nil {
			return 0, err
		}
		if r != 0 {
			return i + 1, nil
		}
	}
	return nrLoops, nil
}

// chargeCallback takes CallbackCost from the run's budget; what is left
// may be less than what the run has executed, and the callback's first
// instruction then fails with ErrBudget.
func (m *Machine) chargeCallback() {
	if m.limit > m.steps && m.limit-m.steps > vm.CallbackCost {
		m.limit -= vm.CallbackCost
	} else {
		m.limit = m.steps
	}
	m.budget = m.sliceEnd()
}

// sliceEnd is where the loop stops next to check the budget: the run's
// limit, or, when the run can be canceled, vm.CancelInterval
// instructions on, if that is sooner. Checking there costs the loop
// nothing: it compares steps with budget on every instruction anyway.
func (m *Machine) sliceEnd() uint64 {
	if m.done == nil || m.limit-m.steps <= vm.CancelInterval {
		return m.limit
	}
	return m.steps + vm.CancelInterval
}

// canceled reports whether the run was canceled (RunOptions.Done is
// closed).
func (m *Machine) canceled() bool {
	if m.done == nil {
		return false
	}
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// errSliceOver is how the loop leaves at the end of a cancel slice that
// does not end the run: run re-enters it.
var errSliceOver = errors.New("cancel slice over")

// sliceOver is the loop's stop at budget, before the instruction before
// next: the run's budget is exhausted, or it was canceled, or it goes on
// for another slice. To go on, the loop returns errSliceOver with its
// state in the machine (the instruction not yet executed nor counted), and
// run re-enters it: the loop keeps no value live across a call here, which
// would cost a spill on every instruction.
//
//go:noinline
func (m *Machine) sliceOver(next int, steps uint64) (vm.Result, error) {
	switch {
	case steps > m.limit:
		return m.failAt(next, steps, vm.ErrBudget)
	case m.canceled():
		return m.failAt(next, steps, vm.ErrCanceled)
	}
	m.pc, m.steps = next-1, steps-1 // m.regs: the loop saved them
	m.budget = m.sliceEnd()
	return vm.Result{Steps: steps - 1}, errSliceOver
}

// enterFrame starts a function invocation in frame depth: a fresh may_goto
// budget (the kernel's prologue sets the count slot and clears the
// timestamp slot) and a stack region that ends at the frame's bottom.
func (m *Machine) enterFrame(depth int) {
	f := &m.frames[depth]
	f.maygoto, f.mayGotoStarted = vm.MaxTimedLoops, false
	if m.mayGoto == vm.MayGotoCounted {
		f.maygoto = vm.MaxLoops
	}
	m.setStackDepth(depth)
}

// setStackDepth limits the stack region of the region table (its first
// entry, added by Reset) to the frames of the running function and its
// callers: frames below it, not allocated yet in the kernel's terms, are
// out of reach. Pointers into a caller's frame stay valid, as in the
// kernel, where programs may pass stack pointers to callees.
func (m *Machine) setStackDepth(depth int) {
	m.env.Regions.SetStart(0, m.StackTop()-uint64(depth+1)*vm.StackSize)
}

// mayGotoRefill is the timed may_goto's clock check
// (bpf_check_timed_may_goto), made when an invocation's count runs out:
// the first time it records the time and allows MaxTimedLoops more
// iterations; later, it allows MaxTimedLoops more until MayGotoTimeout has
// passed since that first reading, then none.
func (m *Machine) mayGotoRefill(f *frame) uint32 {
	now := m.clock()
	if !f.mayGotoStarted {
		f.mayGotoStarted, f.mayGotoStart = true, now
		return vm.MaxTimedLoops
	}
	if now-f.mayGotoStart >= int64(vm.MayGotoTimeout) {
		return 0
	}
	return vm.MaxTimedLoops
}

// SetCallXHelpers sets the helpers that callx may reach by ID.
func (m *Machine) SetCallXHelpers(h *vm.Helpers) { m.callx = h }

func (m *Machine) fail(c *Code, pc int, err error) error {
	return &vm.Error{Index: pc, Insn: describe(c.raw, pc), Err: err}
}

// helperError names the helper that failed, unless its error already
// starts with the name (the standard helpers name themselves).
func helperError(name string, err error) error {
	if strings.HasPrefix(err.Error(), name+": ") {
		return err
	}
	return fmt.Errorf("%s: %w", name, err)
}

func describe(raw []isa.Instruction, pc int) string { return isa.FormatInstruction(raw, pc) }

func (m *Machine) accessError(c *Code, pc int, addr, size uint64, write bool) error {
	return m.fail(c, pc, fmt.Errorf("%w: %s", mem.ErrAccessDenied, m.env.Regions.Describe(addr, size, write)))
}

//nolint:gocyclo // one dispatch loop, by design
func (m *Machine) run(c *Code, pc, base int, args [5]uint64) (vm.Result, error) {
	if base+1 > m.dirty {
		m.dirty = base + 1
	}
	res, err := m.loop(c, pc, base, args)
	for err == errSliceOver {
		m.sliced = true
		res, err = m.loop(c, pc, base, args)
	}
	m.steps = res.Steps
	return res, err
}

// loop is the interpreter proper. It keeps its state in locals (no
// deferred closure may capture them, or they would live in memory rather
// than registers); every return reports the steps taken.
//
// Go has no callee-saved registers: a value live across a call is spilled
// to the stack, and a loop-carried value spilled anywhere in the loop is
// spilled at the loop head, on every instruction. So no loop-carried local
// is live across a call here: the program and frame of the running
// function live in the machine (m.code, m.depth), the paths that call out
// (helpers, callbacks, tail calls, atomics, legacy packet loads, the timed
// may_goto's clock) store pc and steps in the machine first and reload the
// loop's state from it afterwards (suspend, resume), and every error
// return hands its values to a function that builds the result (failAt,
// accessFail).
func (m *Machine) loop(c *Code, pc, base int, args [5]uint64) (vm.Result, error) {
	var r [16]uint64
	r[1], r[2], r[3], r[4], r[5] = args[0], args[1], args[2], args[3], args[4]
	if m.sliced {
		// Re-entered after a cancel slice (see sliceOver): the state
		// is the machine's.
		m.sliced = false
		r, pc = m.regs, m.pc
	} else {
		r[10] = m.StackTop() - uint64(base)*vm.StackSize
		m.code, m.depth = c, base
	}
	code := m.code.insns
	steps, budget, checked := m.steps, m.budget, m.checked
	for {
		in := &code[pc]
		pc++
		steps++
		if steps > budget {
			m.regs = r
			return m.sliceOver(pc, steps)
		}
		switch in.op {
		// ALU64, immediate.
		case opAdd64K:
			r[in.dst&15] += uint64(in.imm)
		case opSub64K:
			r[in.dst&15] -= uint64(in.imm)
		case opMul64K:
			r[in.dst&15] *= uint64(in.imm)
		case opDiv64K:
			r[in.dst&15] = div64(r[in.dst&15], uint64(in.imm))
		case opSdiv64K:
			r[in.dst&15] = sdiv64(r[in.dst&15], uint64(in.imm))
		case opOr64K:
			r[in.dst&15] |= uint64(in.imm)
		case opAnd64K:
			r[in.dst&15] &= uint64(in.imm)
		case opLsh64K:
			r[in.dst&15] <<= uint64(in.imm)
		case opRsh64K:
			r[in.dst&15] >>= uint64(in.imm)
		case opMod64K:
			r[in.dst&15] = mod64(r[in.dst&15], uint64(in.imm))
		case opSmod64K:
			r[in.dst&15] = smod64(r[in.dst&15], uint64(in.imm))
		case opXor64K:
			r[in.dst&15] ^= uint64(in.imm)
		case opMov64K:
			r[in.dst&15] = uint64(in.imm)
		case opArsh64K:
			r[in.dst&15] = uint64(int64(r[in.dst&15]) >> uint64(in.imm))
		case opNeg64:
			r[in.dst&15] = -r[in.dst&15]
		case opBswap16:
			r[in.dst&15] = uint64(bits.ReverseBytes16(uint16(r[in.dst&15])))
		case opBswap32:
			r[in.dst&15] = uint64(bits.ReverseBytes32(uint32(r[in.dst&15])))
		case opBswap64:
			r[in.dst&15] = bits.ReverseBytes64(r[in.dst&15])

		// ALU64, register.
		case opAdd64X:
			r[in.dst&15] += r[in.src&15]
		case opSub64X:
			r[in.dst&15] -= r[in.src&15]
		case opMul64X:
			r[in.dst&15] *= r[in.src&15]
		case opDiv64X:
			r[in.dst&15] = div64(r[in.dst&15], r[in.src&15])
		case opSdiv64X:
			r[in.dst&15] = sdiv64(r[in.dst&15], r[in.src&15])
		case opOr64X:
			r[in.dst&15] |= r[in.src&15]
		case opAnd64X:
			r[in.dst&15] &= r[in.src&15]
		case opLsh64X:
			r[in.dst&15] <<= r[in.src&15] & 63
		case opRsh64X:
			r[in.dst&15] >>= r[in.src&15] & 63
		case opMod64X:
			r[in.dst&15] = mod64(r[in.dst&15], r[in.src&15])
		case opSmod64X:
			r[in.dst&15] = smod64(r[in.dst&15], r[in.src&15])
		case opXor64X:
			r[in.dst&15] ^= r[in.src&15]
		case opMov64X:
			r[in.dst&15] = r[in.src&15]
		case opMovsx64X8:
			r[in.dst&15] = uint64(int64(int8(r[in.src&15])))
		case opMovsx64X16:
			r[in.dst&15] = uint64(int64(int16(r[in.src&15])))
		case opMovsx64X32:
			r[in.dst&15] = uint64(int64(int32(r[in.src&15])))
		case opArsh64X:
			r[in.dst&15] = uint64(int64(r[in.dst&15]) >> (r[in.src&15] & 63))

		// ALU32, immediate. Results are zero-extended.
		case opAdd32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) + uint32(in.imm))
		case opSub32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) - uint32(in.imm))
		case opMul32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) * uint32(in.imm))
		case opDiv32K:
			r[in.dst&15] = uint64(div32(uint32(r[in.dst&15]), uint32(in.imm)))
		case opSdiv32K:
			r[in.dst&15] = uint64(sdiv32(uint32(r[in.dst&15]), uint32(in.imm)))
		case opOr32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) | uint32(in.imm))
		case opAnd32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) & uint32(in.imm))
		case opLsh32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) << uint64(in.imm))
		case opRsh32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) >> uint64(in.imm))
		case opMod32K:
			r[in.dst&15] = uint64(mod32(uint32(r[in.dst&15]), uint32(in.imm)))
		case opSmod32K:
			r[in.dst&15] = uint64(smod32(uint32(r[in.dst&15]), uint32(in.imm)))
		case opXor32K:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) ^ uint32(in.imm))
		case opMov32K:
			r[in.dst&15] = uint64(uint32(in.imm))
		case opArsh32K:
			r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) >> uint64(in.imm)))
		case opNeg32:
			r[in.dst&15] = uint64(-uint32(r[in.dst&15]))
		case opLe16:
			r[in.dst&15] = uint64(uint16(r[in.dst&15]))
		case opLe32:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]))
		case opLe64:
		case opBe16:
			r[in.dst&15] = uint64(bits.ReverseBytes16(uint16(r[in.dst&15])))
		case opBe32:
			r[in.dst&15] = uint64(bits.ReverseBytes32(uint32(r[in.dst&15])))
		case opBe64:
			r[in.dst&15] = bits.ReverseBytes64(r[in.dst&15])

		// ALU32, register.
		case opAdd32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) + uint32(r[in.src&15]))
		case opSub32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) - uint32(r[in.src&15]))
		case opMul32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) * uint32(r[in.src&15]))
		case opDiv32X:
			r[in.dst&15] = uint64(div32(uint32(r[in.dst&15]), uint32(r[in.src&15])))
		case opSdiv32X:
			r[in.dst&15] = uint64(sdiv32(uint32(r[in.dst&15]), uint32(r[in.src&15])))
		case opOr32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) | uint32(r[in.src&15]))
		case opAnd32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) & uint32(r[in.src&15]))
		case opLsh32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) << (r[in.src&15] & 31))
		case opRsh32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) >> (r[in.src&15] & 31))
		case opMod32X:
			r[in.dst&15] = uint64(mod32(uint32(r[in.dst&15]), uint32(r[in.src&15])))
		case opSmod32X:
			r[in.dst&15] = uint64(smod32(uint32(r[in.dst&15]), uint32(r[in.src&15])))
		case opXor32X:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]) ^ uint32(r[in.src&15]))
		case opMov32X:
			r[in.dst&15] = uint64(uint32(r[in.src&15]))
		case opMovsx32X8:
			r[in.dst&15] = uint64(uint32(int32(int8(r[in.src&15]))))
		case opMovsx32X16:
			r[in.dst&15] = uint64(uint32(int32(int16(r[in.src&15]))))
		case opArsh32X:
			r[in.dst&15] = uint64(uint32(int32(r[in.dst&15]) >> (r[in.src&15] & 31)))

		// Jumps.
		case opJa:
			pc = int(in.off)
		case opJeq64K:
			if r[in.dst&15] == uint64(in.imm) {
				pc = int(in.off)
			}
		case opJgt64K:
			if r[in.dst&15] > uint64(in.imm) {
				pc = int(in.off)
			}
		case opJge64K:
			if r[in.dst&15] >= uint64(in.imm) {
				pc = int(in.off)
			}
		case opJset64K:
			if r[in.dst&15]&uint64(in.imm) != 0 {
				pc = int(in.off)
			}
		case opJne64K:
			if r[in.dst&15] != uint64(in.imm) {
				pc = int(in.off)
			}
		case opJsgt64K:
			if int64(r[in.dst&15]) > in.imm {
				pc = int(in.off)
			}
		case opJsge64K:
			if int64(r[in.dst&15]) >= in.imm {
				pc = int(in.off)
			}
		case opJlt64K:
			if r[in.dst&15] < uint64(in.imm) {
				pc = int(in.off)
			}
		case opJle64K:
			if r[in.dst&15] <= uint64(in.imm) {
				pc = int(in.off)
			}
		case opJslt64K:
			if int64(r[in.dst&15]) < in.imm {
				pc = int(in.off)
			}
		case opJsle64K:
			if int64(r[in.dst&15]) <= in.imm {
				pc = int(in.off)
			}
		case opJeq64X:
			if r[in.dst&15] == r[in.src&15] {
				pc = int(in.off)
			}
		case opJgt64X:
			if r[in.dst&15] > r[in.src&15] {
				pc = int(in.off)
			}
		case opJge64X:
			if r[in.dst&15] >= r[in.src&15] {
				pc = int(in.off)
			}
		case opJset64X:
			if r[in.dst&15]&r[in.src&15] != 0 {
				pc = int(in.off)
			}
		case opJne64X:
			if r[in.dst&15] != r[in.src&15] {
				pc = int(in.off)
			}
		case opJsgt64X:
			if int64(r[in.dst&15]) > int64(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJsge64X:
			if int64(r[in.dst&15]) >= int64(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJlt64X:
			if r[in.dst&15] < r[in.src&15] {
				pc = int(in.off)
			}
		case opJle64X:
			if r[in.dst&15] <= r[in.src&15] {
				pc = int(in.off)
			}
		case opJslt64X:
			if int64(r[in.dst&15]) < int64(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJsle64X:
			if int64(r[in.dst&15]) <= int64(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJeq32K:
			if uint32(r[in.dst&15]) == uint32(in.imm) {
				pc = int(in.off)
			}
		case opJgt32K:
			if uint32(r[in.dst&15]) > uint32(in.imm) {
				pc = int(in.off)
			}
		case opJge32K:
			if uint32(r[in.dst&15]) >= uint32(in.imm) {
				pc = int(in.off)
			}
		case opJset32K:
			if uint32(r[in.dst&15])&uint32(in.imm) != 0 {
				pc = int(in.off)
			}
		case opJne32K:
			if uint32(r[in.dst&15]) != uint32(in.imm) {
				pc = int(in.off)
			}
		case opJsgt32K:
			if int32(r[in.dst&15]) > int32(in.imm) {
				pc = int(in.off)
			}
		case opJsge32K:
			if int32(r[in.dst&15]) >= int32(in.imm) {
				pc = int(in.off)
			}
		case opJlt32K:
			if uint32(r[in.dst&15]) < uint32(in.imm) {
				pc = int(in.off)
			}
		case opJle32K:
			if uint32(r[in.dst&15]) <= uint32(in.imm) {
				pc = int(in.off)
			}
		case opJslt32K:
			if int32(r[in.dst&15]) < int32(in.imm) {
				pc = int(in.off)
			}
		case opJsle32K:
			if int32(r[in.dst&15]) <= int32(in.imm) {
				pc = int(in.off)
			}
		case opJeq32X:
			if uint32(r[in.dst&15]) == uint32(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJgt32X:
			if uint32(r[in.dst&15]) > uint32(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJge32X:
			if uint32(r[in.dst&15]) >= uint32(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJset32X:
			if uint32(r[in.dst&15])&uint32(r[in.src&15]) != 0 {
				pc = int(in.off)
			}
		case opJne32X:
			if uint32(r[in.dst&15]) != uint32(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJsgt32X:
			if int32(r[in.dst&15]) > int32(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJsge32X:
			if int32(r[in.dst&15]) >= int32(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJlt32X:
			if uint32(r[in.dst&15]) < uint32(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJle32X:
			if uint32(r[in.dst&15]) <= uint32(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJslt32X:
			if int32(r[in.dst&15]) < int32(r[in.src&15]) {
				pc = int(in.off)
			}
		case opJsle32X:
			if int32(r[in.dst&15]) <= int32(r[in.src&15]) {
				pc = int(in.off)
			}
		case opMayGoto:
			// The count falls through while it lasts; in the timed
			// mode, when it runs out the clock decides whether it
			// refills (the iteration that emptied it still falls
			// through, as in the kernel).
			f := &m.frames[m.depth]
			if f.maygoto == 0 {
				pc = int(in.off)
			} else {
				f.maygoto--
				if f.maygoto == 0 && m.mayGoto == vm.MayGotoTimed {
					m.suspend(pc, steps)
					f.maygoto = m.mayGotoRefill(f)
					pc, steps, budget, checked, code = m.resume()
				}
			}

		// Calls.
		case opCallLocal:
			depth := m.depth
			if depth+1 >= vm.MaxFrames {
				return m.failCallDepth(pc, steps)
			}
			f := &m.frames[depth]
			f.ret = int32(pc)
			f.code = m.code
			f.saved = [4]uint64{r[6], r[7], r[8], r[9]}
			f.fp = r[10]
			depth++
			m.depth = depth
			if depth+1 > m.dirty {
				m.dirty = depth + 1 // the stack frames Reset must clear
			}
			m.enterFrame(depth)
			r[10] = m.StackTop() - uint64(depth)*vm.StackSize
			pc = int(in.off)
		case opExit:
			depth := m.depth
			if depth == base {
				return vm.Result{R0: r[0], Steps: steps}, nil
			}
			depth--
			m.depth = depth
			m.setStackDepth(depth)
			f := &m.frames[depth]
			r[6], r[7], r[8], r[9] = f.saved[0], f.saved[1], f.saved[2], f.saved[3]
			r[10] = f.fp
			pc = int(f.ret)
			m.code = f.code
			code = f.code.insns
		case opFuncAddr:
			r[in.dst&15] = uint64(in.imm)
			pc++

		// Loads and stores.
		case opLdImm64:
			r[in.dst&15] = uint64(in.imm)
			pc++
		case opLdxB:
			a := r[in.src&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 1, false) {
				return m.accessFail(pc, steps, a, 1, false)
			}
			r[in.dst&15] = mem.Load8(a)
		case opLdxH:
			a := r[in.src&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 2, false) {
				return m.accessFail(pc, steps, a, 2, false)
			}
			r[in.dst&15] = mem.Load16(a)
		case opLdxW:
			a := r[in.src&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 4, false) {
				return m.accessFail(pc, steps, a, 4, false)
			}
			r[in.dst&15] = mem.Load32(a)
		case opLdxDW:
			a := r[in.src&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 8, false) {
				return m.accessFail(pc, steps, a, 8, false)
			}
			r[in.dst&15] = mem.Load64(a)
		case opLdxsB:
			a := r[in.src&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 1, false) {
				return m.accessFail(pc, steps, a, 1, false)
			}
			r[in.dst&15] = uint64(int64(int8(mem.Load8(a))))
		case opLdxsH:
			a := r[in.src&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 2, false) {
				return m.accessFail(pc, steps, a, 2, false)
			}
			r[in.dst&15] = uint64(int64(int16(mem.Load16(a))))
		case opLdxsW:
			a := r[in.src&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 4, false) {
				return m.accessFail(pc, steps, a, 4, false)
			}
			r[in.dst&15] = uint64(int64(int32(mem.Load32(a))))
		case opStB:
			a := r[in.dst&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 1, true) {
				return m.accessFail(pc, steps, a, 1, true)
			}
			mem.Store8(a, uint64(in.imm))
		case opStxB:
			a := r[in.dst&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 1, true) {
				return m.accessFail(pc, steps, a, 1, true)
			}
			mem.Store8(a, r[in.src&15])
		case opStH:
			a := r[in.dst&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 2, true) {
				return m.accessFail(pc, steps, a, 2, true)
			}
			mem.Store16(a, uint64(in.imm))
		case opStxH:
			a := r[in.dst&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 2, true) {
				return m.accessFail(pc, steps, a, 2, true)
			}
			mem.Store16(a, r[in.src&15])
		case opStW:
			a := r[in.dst&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 4, true) {
				return m.accessFail(pc, steps, a, 4, true)
			}
			mem.Store32(a, uint64(in.imm))
		case opStxW:
			a := r[in.dst&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 4, true) {
				return m.accessFail(pc, steps, a, 4, true)
			}
			mem.Store32(a, r[in.src&15])
		case opStDW:
			a := r[in.dst&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 8, true) {
				return m.accessFail(pc, steps, a, 8, true)
			}
			mem.Store64(a, uint64(in.imm))
		case opStxDW:
			a := r[in.dst&15] + uint64(in.off)
			if checked && !m.env.Regions.Check(a, 8, true) {
				return m.accessFail(pc, steps, a, 8, true)
			}
			mem.Store64(a, r[in.src&15])

		default:
			// Calls out of the interpreter, tail calls, legacy packet
			// loads and atomics.
			m.suspend(pc, steps)
			if res, done, err := m.slow(in, &r); done {
				return res, err
			}
			pc, steps, budget, checked, code = m.resume()
		}
	}
}

// suspend stores the loop's pc and steps in the machine before a call out
// of the loop.
func (m *Machine) suspend(pc int, steps uint64) { m.pc, m.steps = pc, steps }

// resume reloads the loop's state after a call out of the loop, which may
// have changed any of it: a callback took its cost from the budget, a tail
// call replaced the program and may have switched the run to checked mode.
func (m *Machine) resume() (pc int, steps, budget uint64, checked bool, code []inst) {
	return m.pc, m.steps, m.budget, m.checked, m.code.insns
}

// slow executes the instructions the loop hands over (see loop): m.pc is
// the next instruction's index, m.steps the steps taken, m.code and
// m.depth the running function. It updates them for the loop to resume,
// or reports done with the run's result.
//
//go:noinline
func (m *Machine) slow(in *inst, r *[16]uint64) (res vm.Result, done bool, err error) {
	pc := m.pc
	switch in.op {
	case opCallHelper, opCallKfunc:
		c := m.code
		v, err := c.helpers[in.imm](&m.env, r[1], r[2], r[3], r[4], r[5])
		// A callback may have tail-called checked code, and took
		// its cost from the budget.
		if err != nil {
			return vm.Result{Steps: m.steps}, true, m.fail(c, pc-1, helperError(c.names[in.imm], err))
		}
		return m.afterCall(v, r)
	case opLoopInline:
		c := m.code
		v, err := m.inlinedLoop(r[1], r[2], r[3])
		if err != nil {
			return vm.Result{Steps: m.steps}, true, m.fail(c, pc-1, helperError("bpf_loop", err))
		}
		return m.afterCall(v, r)
	case opCallX:
		c := m.code
		id := r[in.dst&15]
		fn, name := m.callx.Func(int32(id), false)
		if fn == nil || id > 1<<31-1 {
			return vm.Result{Steps: m.steps}, true, m.fail(c, pc-1, fmt.Errorf("%w: %d", vm.ErrNoHelper, id))
		}
		v, err := fn(&m.env, r[1], r[2], r[3], r[4], r[5])
		if err != nil {
			return vm.Result{Steps: m.steps}, true, m.fail(c, pc-1, helperError(name, err))
		}
		return m.afterCall(v, r)
	case opTailCall:
		// bpf_tail_call(ctx, prog_array, index): on success the target
		// replaces the running program in the current frame, with the
		// same r1 and stack; on failure execution falls through.
		// Checked code (or a target the caller's run cannot vouch
		// for) switches the run to checked mode for good.
		if next, chk := m.tailCallTarget(r[2], r[3]); next != nil {
			m.code, m.pc = next, 0
			m.enterFrame(m.depth)
			if chk {
				m.checked = true
			}
		}
	case opLdAbs, opLdInd:
		off := uint64(uint32(in.imm))
		if in.op == opLdInd {
			off = uint64(uint32(r[in.src&15]) + uint32(in.imm))
		}
		v, ok := m.loadPacket(off, uint64(in.aux))
		if !ok {
			// The kernel ends the program with r0 = 0 when a legacy
			// packet load is out of bounds.
			return vm.Result{R0: 0, Steps: m.steps}, true, nil
		}
		r[0] = v
		r[1], r[2], r[3], r[4], r[5] = 0, 0, 0, 0, 0
	default:
		if err := m.atomic(m.code, pc-1, in, r, m.checked); err != nil {
			return vm.Result{Steps: m.steps}, true, err
		}
	}
	return vm.Result{}, false, nil
}

// afterCall finishes a call out of the program that returned v: the run
// ends if a helper stopped it (vm.Env.Stop), else v goes to r0.
func (m *Machine) afterCall(v uint64, r *[16]uint64) (vm.Result, bool, error) {
	if r0, stop := m.env.Stopped(); stop {
		return vm.Result{R0: r0, Steps: m.steps}, true, nil
	}
	if m.canceled() {
		return vm.Result{Steps: m.steps}, true, m.fail(m.code, m.pc-1, vm.ErrCanceled)
	}
	r[0] = v
	return vm.Result{}, false, nil
}

// failAt ends the loop with err at the instruction before next (the loop's
// pc) of the running program.
//
//go:noinline
func (m *Machine) failAt(next int, steps uint64, err error) (vm.Result, error) {
	return vm.Result{Steps: steps}, m.fail(m.code, next-1, err)
}

// failCallDepth ends the loop at a bpf-to-bpf call past vm.MaxFrames (the
// instruction before next).
//
//go:noinline
func (m *Machine) failCallDepth(next int, steps uint64) (vm.Result, error) {
	return m.failAt(next, steps, fmt.Errorf("%w: more than %d frames", vm.ErrCallDepth, vm.MaxFrames))
}

// accessFail ends the loop at a load or store (the instruction before
// next) outside the run's regions, in checked mode.
//
//go:noinline
func (m *Machine) accessFail(next int, steps, addr, size uint64, write bool) (vm.Result, error) {
	return vm.Result{Steps: steps}, m.accessError(m.code, next-1, addr, size, write)
}

// loadPacket reads size bytes at offset off of the packet in network byte
// order, as LD_ABS and LD_IND do.
func (m *Machine) loadPacket(off, size uint64) (uint64, bool) {
	if m.env.PacketEnd <= m.env.PacketStart || off > m.env.PacketEnd-m.env.PacketStart || size > m.env.PacketEnd-m.env.PacketStart-off {
		return 0, false
	}
	a := m.env.PacketStart + off
	switch size {
	case 1:
		return mem.Load8(a), true
	case 2:
		return uint64(bits.ReverseBytes16(uint16(mem.Load16(a)))), true
	}
	return uint64(bits.ReverseBytes32(uint32(mem.Load32(a)))), true
}

// atomic executes the atomic instructions (and reports any opcode the loop
// does not know, which Compile never produces).
func (m *Machine) atomic(c *Code, pc int, in *inst, r *[16]uint64, checked bool) error {
	size := uint64(4)
	switch in.op {
	case opAtomicAdd64, opAtomicOr64, opAtomicAnd64, opAtomicXor64,
		opAtomicFetchAdd64, opAtomicFetchOr64, opAtomicFetchAnd64, opAtomicFetchXor64,
		opAtomicXchg64, opAtomicCmpXchg64:
		size = 8
	case opLoadAcquire, opStoreRelease:
		size = uint64(in.aux)
	}
	base, write := in.dst, true
	if in.op == opLoadAcquire {
		base, write = in.src, false
	}
	a := r[base&15] + uint64(in.off)
	if checked {
		if !m.env.Regions.Check(a, size, write) {
			return m.accessError(c, pc, a, size, write)
		}
		if a&(size-1) != 0 {
			return m.fail(c, pc, fmt.Errorf("%w: %d bytes at %#x", vm.ErrMisaligned, size, a))
		}
	}
	src := &r[in.src&15]
	switch in.op {
	case opAtomicAdd32:
		atomic.AddUint32(mem.Atomic32(a), uint32(*src))
	case opAtomicOr32:
		atomic.OrUint32(mem.Atomic32(a), uint32(*src))
	case opAtomicAnd32:
		atomic.AndUint32(mem.Atomic32(a), uint32(*src))
	case opAtomicXor32:
		xor32(mem.Atomic32(a), uint32(*src))
	case opAtomicFetchAdd32:
		*src = uint64(atomic.AddUint32(mem.Atomic32(a), uint32(*src)) - uint32(*src))
	case opAtomicFetchOr32:
		*src = uint64(atomic.OrUint32(mem.Atomic32(a), uint32(*src)))
	case opAtomicFetchAnd32:
		*src = uint64(atomic.AndUint32(mem.Atomic32(a), uint32(*src)))
	case opAtomicFetchXor32:
		*src = uint64(xor32(mem.Atomic32(a), uint32(*src)))
	case opAtomicXchg32:
		*src = uint64(atomic.SwapUint32(mem.Atomic32(a), uint32(*src)))
	case opAtomicCmpXchg32:
		r[0] = uint64(cmpxchg32(mem.Atomic32(a), uint32(r[0]), uint32(*src)))
	case opAtomicAdd64:
		atomic.AddUint64(mem.Atomic64(a), *src)
	case opAtomicOr64:
		atomic.OrUint64(mem.Atomic64(a), *src)
	case opAtomicAnd64:
		atomic.AndUint64(mem.Atomic64(a), *src)
	case opAtomicXor64:
		xor64(mem.Atomic64(a), *src)
	case opAtomicFetchAdd64:
		*src = atomic.AddUint64(mem.Atomic64(a), *src) - *src
	case opAtomicFetchOr64:
		*src = atomic.OrUint64(mem.Atomic64(a), *src)
	case opAtomicFetchAnd64:
		*src = atomic.AndUint64(mem.Atomic64(a), *src)
	case opAtomicFetchXor64:
		*src = xor64(mem.Atomic64(a), *src)
	case opAtomicXchg64:
		*src = atomic.SwapUint64(mem.Atomic64(a), *src)
	case opAtomicCmpXchg64:
		r[0] = cmpxchg64(mem.Atomic64(a), r[0], *src)
	case opLoadAcquire:
		r[in.dst&15] = mem.LoadAcquire(a, int(size))
	case opStoreRelease:
		mem.StoreRelease(a, int(size), *src)
	default:
		return m.fail(c, pc, errors.New("internal error: undecoded instruction"))
	}
	return nil
}

func xor32(p *uint32, v uint32) uint32 {
	for {
		old := atomic.LoadUint32(p)
		if atomic.CompareAndSwapUint32(p, old, old^v) {
			return old
		}
	}
}

func xor64(p *uint64, v uint64) uint64 {
	for {
		old := atomic.LoadUint64(p)
		if atomic.CompareAndSwapUint64(p, old, old^v) {
			return old
		}
	}
}

// cmpxchg32 stores nw if *p == old and returns the value *p had.
func cmpxchg32(p *uint32, old, nw uint32) uint32 {
	for {
		cur := atomic.LoadUint32(p)
		if cur != old {
			return cur
		}
		if atomic.CompareAndSwapUint32(p, old, nw) {
			return old
		}
	}
}

func cmpxchg64(p *uint64, old, nw uint64) uint64 {
	for {
		cur := atomic.LoadUint64(p)
		if cur != old {
			return cur
		}
		if atomic.CompareAndSwapUint64(p, old, nw) {
			return old
		}
	}
}

// Division follows the kernel: x/0 = 0, x%0 = x; signed division of the
// most negative value by -1 gives it back, and the remainder is 0 (Go's own
// rules for these cases already match).
func div64(a, b uint64) uint64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func mod64(a, b uint64) uint64 {
	if b == 0 {
		return a
	}
	return a % b
}

func sdiv64(a, b uint64) uint64 {
	if b == 0 {
		return 0
	}
	return uint64(int64(a) / int64(b))
}

func smod64(a, b uint64) uint64 {
	if b == 0 {
		return a
	}
	return uint64(int64(a) % int64(b))
}

func div32(a, b uint32) uint32 {
	if b == 0 {
		return 0
	}
	return a / b
}

func mod32(a, b uint32) uint32 {
	if b == 0 {
		return a
	}
	return a % b
}

func sdiv32(a, b uint32) uint32 {
	if b == 0 {
		return 0
	}
	return uint32(int32(a) / int32(b))
}

func smod32(a, b uint32) uint32 {
	if b == 0 {
		return a
	}
	return uint32(int32(a) % int32(b))
}
