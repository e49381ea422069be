package verifier

import (
	"slices"
	"time"
	"unsafe"

	"github.com/ebpfvm/ebpfvm/isa"
)

// verifier is one verification run.
type verifier struct {
	insns []isa.Instruction
	opts  *Options
	pt    *ProgramType
	priv  bool

	loopInline map[int]*loopInline // bpf_loop call sites: can the kernel inline them

	log      logBuf
	logLevel int

	second      []bool
	prune       []bool // is_prune_point
	force       []bool // is_force_checkpoint
	subprogs    []subprog
	insnSubprog []int
	mapLoads    map[int]MapLoad
	live        []uint16 // registers live at each instruction's entry
	checked     []bool   // instruction passed CheckInstruction

	explored [][]*checkpoint
	pending  []pendingState
	cur      *state
	idGen    uint32

	processed, maxInsns     int
	totalStates, peakStates int
	// maxStatesPerInsn: the longest list of stored states compared at
	// one instruction (the kernel's max_states_per_insn).
	maxStatesPerInsn    int
	curStates           int
	jmpsProcessed       int
	prevJmps, prevInsns int
	insnIdx             int
	// scratch marks what the current instruction touched, for the log.
	scratchRegs  uint16
	scratchStack uint64
	// Precision tracking (precision.go): the instruction checked before
	// the current one, the length of the current state's history when
	// the current instruction started, and the backtracking scratch.
	prevInsn int
	histInsn int
	bt       backtrack
	// free holds the states of finished paths for reuse.
	free []*state
	// maxCtxOff is the end of the furthest context access (the kernel's
	// prog->aux->max_ctx_offset).
	maxCtxOff int
	// Loops whose marks are not final (prune.go): the pruned states,
	// the number of loop heads still being explored, and a count of the
	// precision and read marks set, to see when propagation settles.
	backedges []backedge
	loopHeads int
	marks     int
	// budget and what has been spent of it beyond instructions: the
	// start time and the estimated bytes of stored and queued states.
	budget Budget
	start  time.Time
	mem    int64
	// gl: global functions (global.go).
	gl globals
}

type pendingState struct {
	st         *state
	insn, prev int
	logPos     int
	bytes      int64 // stateBytes when queued
}

func newVerifier(insns []isa.Instruction, opts *Options) *verifier {
	if len(opts.Funcs) > 0 && !opts.FuncInfo {
		// Funcs come from BTF func_info.
		o := *opts
		o.FuncInfo = true
		opts = &o
	}
	v := &verifier{insns: insns, opts: opts, pt: opts.Type, priv: opts.Mode == Privileged}
	if v.pt == nil {
		v.pt = Generic(0)
	}
	v.logLevel = opts.LogLevel
	v.maxInsns = opts.MaxInstructions
	if opts.Budget.Insns > 0 {
		v.maxInsns = opts.Budget.Insns
	}
	if v.maxInsns <= 0 {
		v.maxInsns = maxInsnsLimit
	}
	v.budget = opts.Budget
	v.start = time.Now()
	return v
}

// checkBudget enforces Options.Budget's limits other than instructions
// (those the kernel does not have).
func (v *verifier) checkBudget() error {
	b := &v.budget
	if b.Memory > 0 && v.mem > b.Memory {
		return v.errf(-1, "verifier budget exceeded: about %d bytes of verifier states (Budget.Memory %d) after %d insns", v.mem, b.Memory, v.processed)
	}
	if b.Time > 0 && v.processed&1023 == 0 {
		if d := time.Since(v.start); d > b.Time {
			return v.errf(-1, "verifier budget exceeded: %v spent (Budget.Time %v) after %d insns", d.Round(time.Millisecond), b.Time, v.processed)
		}
	}
	return nil
}

// stateBytes estimates the memory a state holds.
func stateBytes(s *state) int64 {
	n := int64(unsafe.Sizeof(state{})) + int64(len(s.hist))*int64(unsafe.Sizeof(histEntry{})) + int64(len(s.refs))*8
	for _, f := range s.frames {
		n += int64(unsafe.Sizeof(funcState{})) + int64(len(f.stack))*int64(unsafe.Sizeof(slot{}))
	}
	return n
}

func (v *verifier) newID() uint32 {
	v.idGen++
	return v.idGen
}

func (v *verifier) run() error {
	if err := v.checkStructure(); err != nil {
		return v.fail(err)
	}
	if err := v.setupFuncs(); err != nil {
		return v.fail(err)
	}
	v.computeLiveness()
	v.checked = make([]bool, len(v.insns))
	v.explored = make([][]*checkpoint, len(v.insns))
	err := v.doCheck(0, v.initialState())
	if err == nil {
		err = v.checkGlobalFuncs()
	}
	if err == nil {
		err = v.checkStackDepth()
	}
	if err != nil {
		return v.fail(err)
	}
	if v.logLevel > 0 {
		v.log.printf("processed %d insns (limit %d) max_states_per_insn %d total_states %d peak_states %d mark_read 0\n",
			v.processed, maxInsnsLimit, v.maxStatesPerInsn, v.totalStates, v.peakStates)
	}
	return nil
}

// fail appends the error to the log.
func (v *verifier) fail(err error) error {
	if e, ok := err.(*Error); ok && v.logLevel > 0 {
		v.log.printf("%s\n", e.Msg)
		v.log.printf("processed %d insns (limit %d) max_states_per_insn %d total_states %d peak_states %d mark_read 0\n",
			v.processed, maxInsnsLimit, v.maxStatesPerInsn, v.totalStates, v.peakStates)
	}
	return err
}

func (v *verifier) initialState() *state {
	f := &funcState{callsite: -1}
	for i := range f.regs {
		f.regs[i] = reg{typ: NotInit}
	}
	f.regs[1] = reg{typ: PtrToCtx}
	f.regs[1].markKnown(0)
	f.regs[1].typ = PtrToCtx
	f.regs[regFP] = reg{typ: PtrToStack}
	f.regs[regFP].markKnown(0)
	f.regs[regFP].typ = PtrToStack
	if v.pt.GenericArgs {
		f.regs[2].setUnknownScalar()
	}
	return &state{frames: []*funcState{f}, last: -1}
}

// doCheck explores every path from instruction start in state st.
func (v *verifier) doCheck(start int, st *state) error {
	v.cur = st
	idx := start
	prev := -1
	printState := false
	for {
		v.processed++
		if v.processed > v.maxInsns {
			return v.errf(idx, "BPF program is too large. Processed %d insn", v.processed)
		}
		if err := v.checkBudget(); err != nil {
			return err
		}
		v.insnIdx = idx
		v.prevInsn = prev
		v.cur.last = prev
		if v.prune[idx] {
			pruned, err := v.isStateVisited(idx, prev)
			if err != nil {
				return err
			}
			if pruned {
				if v.logLevel > 0 {
					if printState {
						v.log.printf("\nfrom %d to %d: safe\n", prev, idx)
					} else {
						v.log.printf("%d: safe\n", idx)
					}
				}
				var ok bool
				idx, prev, ok = v.popState()
				if !ok {
					return nil
				}
				printState = true
				continue
			}
		}
		v.histInsn = len(v.cur.hist)
		if prev >= 0 && prev != idx-1 && v.priv {
			v.pushArrival(idx, prev)
		}
		if v.logLevel > 0 {
			if printState && (v.logLevel >= 2 || true) {
				v.log.printf("\nfrom %d to %d:", prev, idx)
				v.printState(v.cur.cur(), true)
				v.log.printf("\n")
			}
			printState = false
			v.log.insnStart = v.log.Len()
			v.log.printf("%d: (%02x) %s\n", idx, uint8(v.insns[idx].Opcode), isa.FormatInstruction(v.insns, idx))
			v.log.insnLen = v.log.Len() - v.log.insnStart
		}
		v.scratchRegs, v.scratchStack = 0, 0
		next, done, err := v.exec(idx)
		if err != nil {
			return err
		}
		if len(v.pending) > maxJmpSeq {
			return v.errf(idx, "The sequence of %d jumps is too complex.", len(v.pending))
		}
		if v.logLevel >= 2 && !done {
			v.printInsnState()
		}
		if done {
			var ok bool
			idx, prev, ok = v.popState()
			if !ok {
				return nil
			}
			printState = true
			continue
		}
		prev = idx
		idx = next
	}
}

// maxJmpSeq is BPF_COMPLEXITY_LIMIT_JMP_SEQ: the most states queued for
// exploration at once.
const maxJmpSeq = 8192

// push queues a copy of the current state to explore from insn.
func (v *verifier) push(insn, prev int) *state {
	st := v.newState(v.cur)
	if st.parent != nil {
		st.parent.branches++
	}
	b := stateBytes(st)
	v.pending = append(v.pending, pendingState{st: st, insn: insn, prev: prev, logPos: v.log.Len(), bytes: b})
	v.mem += b
	return st
}

// popState ends the current path and resumes the most recent pending one.
func (v *verifier) popState() (int, int, bool) {
	v.updateBranchCounts(v.cur.parent)
	if len(v.pending) == 0 {
		return 0, 0, false
	}
	p := v.pending[len(v.pending)-1]
	v.pending = v.pending[:len(v.pending)-1]
	v.mem -= p.bytes
	// Nothing refers to the finished path's state: recycle it.
	v.free = append(v.free, v.cur)
	v.cur = p.st
	if v.logLevel == 1 {
		v.log.truncate(p.logPos)
	}
	return p.insn, p.prev, true
}

func (v *verifier) updateBranchCounts(c *checkpoint) {
	for c != nil {
		c.branches--
		if c.branches > 0 {
			break
		}
		if c.loopHead {
			v.loopHeadDone(c)
		}
		c = c.parent
	}
}

// exec interprets one instruction on the current state. It returns the
// next instruction, or done when the path ended.
func (v *verifier) exec(idx int) (next int, done bool, err error) {
	in := v.insns[idx]
	if !v.checked[idx] {
		if e := isa.CheckInstruction(in); e != nil {
			return 0, false, v.errf(idx, "%s", kernelInsnError(in, e))
		}
		v.checked[idx] = true
	}
	switch in.Opcode.Class() {
	case isa.ClassALU, isa.ClassALU64:
		return idx + 1, false, v.checkALU(idx, in)
	case isa.ClassLDX:
		return idx + 1, false, v.checkLoad(idx, in)
	case isa.ClassSTX:
		if in.Opcode.Mode() == isa.ModeATOMIC {
			return idx + 1, false, v.checkAtomic(idx, in)
		}
		return idx + 1, false, v.checkStore(idx, in)
	case isa.ClassST:
		return idx + 1, false, v.checkStore(idx, in)
	case isa.ClassLD:
		if in.Opcode == isa.OpLdImm64 {
			return idx + 2, false, v.checkLdImm64(idx, in)
		}
		return idx + 1, false, v.checkLdAbs(idx, in)
	case isa.ClassJMP, isa.ClassJMP32:
		v.jmpsProcessed++
		switch in.Opcode.Op() {
		case isa.JmpJA:
			t, _ := isa.BranchTarget(in, idx)
			return t, false, nil
		case isa.JmpExit:
			return v.checkExit(idx)
		case isa.JmpCall:
			return v.checkCall(idx, in)
		case isa.JmpJCond:
			return v.checkMayGoto(idx, in)
		}
		return v.checkCondJump(idx, in)
	}
	return 0, false, v.errf(idx, "unknown insn class %d", in.Opcode.Class())
}

func (v *verifier) regs() *[11]reg { return &v.cur.cur().regs }

// checkRegRead is check_reg_arg(SRC_OP).
func (v *verifier) checkRegRead(idx int, r isa.Register) error {
	if r > isa.R10 {
		return v.errf(idx, "R%d is invalid", r)
	}
	if v.regs()[r].typ == NotInit {
		return v.errf(idx, "R%d !read_ok", r)
	}
	return nil
}

// checkRegWrite is check_reg_arg(DST_OP).
func (v *verifier) checkRegWrite(idx int, r isa.Register) error {
	if r > isa.R10 {
		return v.errf(idx, "R%d is invalid", r)
	}
	if r == isa.R10 {
		return v.errf(idx, "frame pointer is read only")
	}
	v.scratchRegs |= 1 << r
	return nil
}

// isPointerLeak is the kernel's is_pointer_value: pointers count only in
// untrusted mode.
func (v *verifier) isPointerLeak(r *reg) bool {
	return !v.priv && r.isPointer()
}

func (v *verifier) checkLdImm64(idx int, in isa.Instruction) error {
	if err := v.checkRegWrite(idx, in.Dst); err != nil {
		return err
	}
	r := &v.regs()[in.Dst]
	switch uint8(in.Src) {
	case isa.PseudoNone:
		r.setConstScalar(isa.Imm64(in, v.insns[idx+1]))
	case isa.PseudoFunc:
		if !v.opts.FuncInfo {
			return v.errf(idx, "missing btf func_info")
		}
		if v.globalFunc(v.insnSubprog[idx+1+int(in.Imm)]) != nil {
			return v.errf(idx, "callback function not static")
		}
		*r = reg{typ: PtrToFunc, subprog: int32(v.insnSubprog[idx+1+int(in.Imm)])}
		r.markKnown(0)
		r.typ = PtrToFunc
	default:
		ld := v.mapLoads[idx]
		if ld.Value {
			*r = reg{typ: PtrToMapValue, m: ld.Map}
			r.markKnown(0)
			r.typ = PtrToMapValue
			r.off = int32(ld.Offset)
		} else {
			*r = reg{typ: ConstPtrToMap, m: ld.Map}
			r.markKnown(0)
			r.typ = ConstPtrToMap
		}
	}
	return nil
}

func (v *verifier) checkLdAbs(idx int, in isa.Instruction) error {
	if !v.pt.LegacyPacketLoads {
		return v.errf(idx, "BPF_LD_[ABS|IND] instructions not allowed for this program type")
	}
	if len(v.cur.frames) > 1 && v.cur.cur().callback {
		return v.errf(idx, "cannot use BPF_LD_[ABS|IND] within callback")
	}
	regs := v.regs()
	if err := v.checkRegRead(idx, 6); err != nil {
		return err
	}
	if v.cur.lockID != 0 {
		return v.errf(idx, "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region")
	}
	if len(v.cur.refs) > 0 {
		r := v.cur.refs[0]
		return v.errf(idx, "Unreleased reference id=%d alloc_insn=%d\nBPF_LD_[ABS|IND] would lead to reference leak", r.id, r.insn)
	}
	if regs[6].typ != PtrToCtx {
		return v.errf(idx, "at the time of BPF_LD_ABS|IND R6 != pointer to skb")
	}
	if in.Opcode.Mode() == isa.ModeIND {
		if err := v.checkRegRead(idx, in.Src); err != nil {
			return err
		}
	}
	for r := 1; r <= 5; r++ {
		regs[r] = reg{typ: NotInit}
	}
	regs[0].setUnknownScalar()
	v.scratchRegs |= 0x3f
	return nil
}

// checkExit handles BPF_EXIT: return from a subprogram or end of the path.
func (v *verifier) checkExit(idx int) (int, bool, error) {
	st := v.cur
	f := st.cur()
	if len(st.frames) == 1 && st.lockID != 0 {
		return 0, false, v.errf(idx, "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region")
	}
	if len(st.frames) == 1 || f.callback {
		if err := v.checkRefLeak(idx, f.callback); err != nil {
			return 0, false, err
		}
	}
	if len(st.frames) > 1 {
		next, err := v.returnFromCall(idx)
		return next, false, err
	}
	if err := v.checkRegRead(idx, 0); err != nil {
		return 0, false, err
	}
	r0 := &f.regs[0]
	if v.isPointerLeak(r0) {
		return 0, false, v.errf(idx, "R0 leaks addr as return value")
	}
	if ok, err := v.globalExit(idx, r0); ok {
		return 0, err == nil, err
	}
	if rr := v.pt.ReturnRange; rr != nil {
		if r0.typ != Scalar {
			return 0, false, v.errf(idx, "At program exit the register R0 is not a known value (%s)", r0.typeName())
		}
		v.markPrecise(0)
		if r0.smin < rr[0] || r0.smax > rr[1] {
			return 0, false, v.errf(idx, "%s", invalidScalarMsg("At program exit", r0, rr[0], rr[1]))
		}
	}
	return 0, true, nil
}

func invalidScalarMsg(ctx string, r *reg, lo, hi int64) string {
	s := ctx + " the register R0 has"
	unknown := true
	if r.smin > minInt64 {
		s += sprintf(" smin=%d", r.smin)
		unknown = false
	}
	if r.smax < maxInt64 {
		s += sprintf(" smax=%d", r.smax)
		unknown = false
	}
	if unknown {
		s += " unknown scalar value"
	}
	return s + sprintf(" should have been in [%d, %d]", lo, hi)
}

func (v *verifier) checkRefLeak(idx int, callback bool) error {
	st := v.cur
	for _, r := range st.refs {
		if callback && r.insn < 0 {
			continue
		}
		msg := sprintf("Unreleased reference id=%d alloc_insn=%d", r.id, r.insn)
		if !callback {
			msg += "\nBPF_EXIT instruction in main prog would lead to reference leak"
		}
		return v.errf(idx, "%s", msg)
	}
	return nil
}

// checkMayGoto: the fall-through continues while the budget lasts (a new
// state with a deeper may_goto depth); the jump is always possible.
func (v *verifier) checkMayGoto(idx int, in isa.Instruction) (int, bool, error) {
	prev := v.prevLoopEntry(idx, true)
	st := v.push(idx+1, idx)
	st.mayGotoDepth++
	if prev != nil && v.priv {
		widenImprecise(prev, st)
	}
	return idx + 1 + int(in.Offset), false, nil
}

// prevLoopEntry is find_prev_entry: the state stored at idx by an earlier
// iteration of the loop the current path is in. skipParent leaves out the
// current state's own checkpoint (stored by this very visit of idx).
func (v *verifier) prevLoopEntry(idx int, skipParent bool) *state {
	list := v.explored[idx]
	for k := len(list) - 1; k >= 0; k-- {
		cp := list[k]
		if skipParent && cp == v.cur.parent || cp.branches == 0 || len(cp.st.frames) != len(v.cur.frames) {
			continue
		}
		same := true
		for i, f := range cp.st.frames {
			if f.callsite != v.cur.frames[i].callsite {
				same = false
				break
			}
		}
		if same {
			return cp.st
		}
	}
	return nil
}

// widenImprecise is widen_imprecise_scalars: scalars that changed since
// the previous iteration and that nothing needed precise become unknown,
// so that the loop's states converge.
func widenImprecise(old, cur *state) {
	for fi, of := range old.frames {
		cf := cur.frames[fi]
		for r := range of.regs {
			widenReg(&of.regs[r], &cf.regs[r])
		}
		for i := range of.stack {
			if i < len(cf.stack) && of.stack[i].isSpill() && cf.stack[i].isSpill() {
				widenReg(&of.stack[i].spill, &cf.stack[i].spill)
			}
		}
	}
}

func widenReg(o, c *reg) {
	if o.typ != Scalar || c.typ != Scalar || o.precise || c.precise {
		return
	}
	if o.vo == c.vo && rangeWithin(o, c) && rangeWithin(c, o) && o.id == c.id {
		return
	}
	c.setUnknownScalar()
}

// checkStackDepth is check_max_stack_depth: the deepest chain of calls
// must fit in 512 bytes of stack and 8 frames. As in the kernel, the
// chains follow every call and callback reference in each subprogram's
// instructions, explored or not.
func (v *verifier) checkStackDepth() error {
	round := func(d int) int { return (d + 15) &^ 15 }
	calls := v.staticCalls()
	var walk func(sp, depth, frame int) error
	walk = func(sp, depth, frame int) error {
		depth += round(v.subprogs[sp].stackDepth)
		if depth > maxStack {
			return v.errf(-1, "combined stack size of %d calls is %d. Too large", frame+1, depth)
		}
		for _, c := range calls[sp] {
			if frame+1 >= maxCallFrames {
				return v.errf(-1, "the call stack of %d frames is too deep !", frame+1)
			}
			if err := walk(c, depth, frame+1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(0, 0, 0)
}

// staticCalls lists, for each subprogram, the subprograms its call
// instructions and function references name, once each, in order.
func (v *verifier) staticCalls() [][]int {
	calls := make([][]int, len(v.subprogs))
	for i, in := range v.insns {
		if v.second[i] {
			continue
		}
		isCall := in.Opcode == isa.OpCall && uint8(in.Src) == isa.CallLocal
		isRef := in.Opcode == isa.OpLdImm64 && uint8(in.Src) == isa.PseudoFunc
		if !isCall && !isRef {
			continue
		}
		from, to := v.insnSubprog[i], v.insnSubprog[i+1+int(in.Imm)]
		if !slices.Contains(calls[from], to) {
			calls[from] = append(calls[from], to)
		}
	}
	return calls
}
