package verifier

import (
	"math/bits"

	"github.com/ebpfvm/ebpfvm/isa"
)

// computeLiveness finds, for every instruction, the registers that may be
// read before being written on some path from it (a static, conservative
// form of the kernel's liveness marks). Pruning compares only those.
func (v *verifier) computeLiveness() {
	n := len(v.insns)
	use := make([]uint16, n)
	def := make([]uint16, n)
	for i := 0; i < n; i++ {
		if v.second[i] {
			continue
		}
		use[i], def[i] = v.useDef(i)
	}
	v.live = make([]uint16, n)
	var succ []int
	for changed := true; changed; {
		changed = false
		for i := n - 1; i >= 0; i-- {
			if v.second[i] {
				continue
			}
			var out uint16
			succ = v.successors(i, succ[:0])
			for _, s := range succ {
				if s >= 0 && s < n {
					out |= v.live[s]
				}
			}
			in := use[i] | (out &^ def[i])
			if in != v.live[i] {
				v.live[i] = in
				changed = true
			}
		}
	}
}

func (v *verifier) useDef(i int) (use, def uint16) {
	in := v.insns[i]
	d, s := uint16(1)<<(in.Dst&15), uint16(1)<<(in.Src&15)
	switch in.Opcode.Class() {
	case isa.ClassALU, isa.ClassALU64:
		x := in.Opcode.Source() == isa.SourceX
		if in.Opcode.Op() != isa.ALUMov {
			use |= d
		}
		if x && in.Opcode.Op() != isa.ALUEnd {
			use |= s
		}
		def |= d
	case isa.ClassLDX:
		use |= s
		def |= d
	case isa.ClassST:
		use |= d
	case isa.ClassSTX:
		use |= d | s
		if in.Opcode.Mode() == isa.ModeATOMIC {
			switch in.Imm {
			case isa.AtomicCmpXchg:
				use |= 1
				def |= 1
			case isa.AtomicLoadAcq:
				use = s
				def = d
			default:
				if in.Imm&isa.AtomicFetch != 0 {
					def |= s
				}
			}
		}
	case isa.ClassLD:
		if in.Opcode == isa.OpLdImm64 {
			def |= d
		} else {
			use |= 1 << 6
			if in.Opcode.Mode() == isa.ModeIND {
				use |= s
			}
			def |= 0x3f
		}
	case isa.ClassJMP, isa.ClassJMP32:
		switch in.Opcode.Op() {
		case isa.JmpExit:
			use |= 1
		case isa.JmpCall:
			use |= argRegs
			def |= 0x3f
			if uint8(in.Src) == isa.CallLocal {
				// The callee may read r6-r9 of the caller through
				// nothing; but it runs with r1-r5.
			}
		case isa.JmpJA, isa.JmpJCond:
		default:
			use |= d
			if in.Opcode.Source() == isa.SourceX {
				use |= s
			}
		}
	}
	return use &^ (1 << regFP), def &^ (1 << regFP)
}

// cmpMode is the kernel's enum exact_level: how strictly states_equal
// compares.
type cmpMode uint8

const (
	// cmpNotExact: imprecise scalars of the stored state match any scalar.
	cmpNotExact cmpMode = iota
	// cmpRange: every scalar is compared by range (a stored state whose
	// precision marks are not final yet: still on the current path).
	cmpRange
	// cmpExact: equality (infinite loop detection).
	cmpExact
)

// maxStatesUnpriv is BPF_COMPLEXITY_LIMIT_STATES: untrusted programs
// store no more states at one instruction.
const maxStatesUnpriv = 64

// isStateVisited is is_state_visited: prune when a stored state at this
// instruction subsumes the current one; otherwise maybe store it.
func (v *verifier) isStateVisited(idx, prev int) (bool, error) {
	cur := v.cur
	// Store a new state only every few jumps and instructions, unless
	// the instruction demands it or the history grows long.
	force := v.force[idx] || len(cur.hist) > 40
	addNew := force || v.jmpsProcessed-v.prevJmps >= 2 && v.processed-v.prevInsns >= 8
	list := v.explored[idx]
	if len(list) > v.maxStatesPerInsn {
		v.maxStatesPerInsn = len(list)
	}
	iterNext := v.force[idx] && v.isIterNextCall(idx)
	for k := 0; k < len(list); k++ {
		cp := list[k]
		if cp.branches > 0 {
			// Iterator and callback iterations have no infinite-loop
			// check but count their misses (the kernel's
			// skip_inf_loop_check), so the list stays short.
			skipInfLoopCheck := iterNext
			// A state on the current path: a loop. Pruning against it
			// (may_goto and callback iterations converging) relies on
			// precision marks that are not final: compare every scalar
			// and make every scalar of this path precise.
			if v.insns[idx].Opcode == isa.OpMayGoto && cp.st.mayGotoDepth != cur.mayGotoDepth && v.statesEqual(cp.st, cur, idx, cmpRange) {
				v.loopHit(cp, cp, idx, prev)
				return true, nil
			}
			if iterNext {
				// Another iteration of an open-coded iterator loop.
				if v.statesEqual(cp.st, cur, idx, cmpRange) && v.iterActiveAt(cur) {
					v.loopHit(cp, cp, idx, prev)
					return true, nil
				}
				// No infinite-loop check, but the miss is counted (the
				// kernel's skip_inf_loop_check): the list stays short.
			} else if v.isCallbackCall(idx) {
				// Another callback iteration: the same, but for the
				// helper call that queues the callback.
				if v.statesEqual(cp.st, cur, idx, cmpRange) {
					v.loopHit(cp, cp, idx, prev)
					return true, nil
				}
				skipInfLoopCheck = true
			}
			if !skipInfLoopCheck && cp.st.mayGotoDepth == cur.mayGotoDepth && cp.st.cbUnrollDepth == cur.cbUnrollDepth && v.statesEqual(cp.st, cur, idx, cmpExact) && !iterDepthsDiffer(cp.st, cur) {
				return false, v.errf(idx, "infinite loop detected at insn %d", idx)
			}
			if !force && v.jmpsProcessed-v.prevJmps < 20 && v.processed-v.prevInsns < 100 {
				addNew = false
			}
		} else if head := v.incompleteMarks(cp); head != nil {
			// The stored state's marks are not final yet: a loop above
			// it is still being explored.
			if v.statesEqual(cp.st, cur, idx, cmpRange) {
				v.loopHit(cp, head, idx, prev)
				return true, nil
			}
		} else if v.statesEqual(cp.st, cur, idx, cmpNotExact) {
			cp.hit++
			// What the stored state needed precise, the current path
			// needs precise too.
			if prev >= 0 && prev != idx-1 && v.priv {
				v.histInsn = len(cur.hist)
				v.pushArrival(idx, prev)
			}
			v.propagatePrecision(cp.st, idx)
			v.propagateStackReads(cp.st)
			return true, nil
		}
		if addNew {
			cp.miss++
		}
		// Drop states that rarely help.
		lim := 3
		if v.force[idx] && cp.branches > 0 {
			lim = 64
		}
		if cp.miss > cp.hit*lim+lim {
			list[k] = list[len(list)-1]
			list = list[:len(list)-1]
			v.explored[idx] = list
			k--
			v.peakStatesDec()
			v.mem -= stateBytes(cp.st)
		}
	}
	if !addNew || !v.priv && len(list) > maxStatesUnpriv {
		return false, nil
	}
	if v.priv {
		markAllImprecise(cur)
	}
	cp := &checkpoint{st: v.newState(cur), insn: idx, branches: 1, parent: cur.parent}
	for _, f := range cur.frames {
		f.written = 0
	}
	v.explored[idx] = append(v.explored[idx], cp)
	v.totalStates++
	v.curStates++
	v.mem += stateBytes(cp.st)
	if v.budget.States > 0 && v.curStates > v.budget.States {
		return false, v.errf(-1, "verifier budget exceeded: %d states stored (Budget.States %d) after %d insns", v.curStates, v.budget.States, v.processed)
	}
	if v.curStates > v.peakStates {
		v.peakStates = v.curStates
	}
	v.prevJmps = v.jmpsProcessed
	v.prevInsns = v.processed
	cur.parent = cp
	cur.first = idx
	cur.hist = cur.hist[:0]
	return false, nil
}

func (v *verifier) peakStatesDec() { v.curStates-- }

// Loops: a state found equal to a stored state on its own path (or to one
// whose exploration is not over) is pruned, but the stored state's
// precision and stack read marks are not final: what its unexplored
// paths will need precise, the pruned path needs too. As the kernel does
// with its backedges (6.17+), the pruned state is kept, the loop's head
// is remembered, checkpoints below a head whose exploration is not over
// are compared by range only, and once every head is explored the marks
// are propagated along the kept states again, until nothing changes.

// backedge is a pruned loop state and the stored state it matched
// (struct bpf_scc_backedge).
type backedge struct {
	st, old *state
	idx     int
}

// maxBackedgeIters bounds the propagation (MAX_BACKEDGE_ITERS): past it,
// every scalar on the pruned paths becomes precise.
const maxBackedgeIters = 64

// loopHit prunes the current state against cp, a stored state whose marks
// are not final, below (or at) the loop head head.
func (v *verifier) loopHit(cp, head *checkpoint, idx, prev int) {
	cp.hit++
	cur := v.cur
	if prev >= 0 && prev != idx-1 && v.priv {
		v.histInsn = len(cur.hist)
		v.pushArrival(idx, prev)
	}
	v.propagatePrecision(cp.st, idx)
	v.propagateStackReads(cp.st)
	b := backedge{st: v.newState(cur), old: cp.st, idx: idx}
	v.backedges = append(v.backedges, b)
	v.mem += stateBytes(b.st)
	if !head.loopHead {
		head.loopHead = true
		v.loopHeads++
	}
}

// incompleteMarks returns the unexplored loop head above cp (or cp
// itself), if any (the kernel's incomplete_read_marks).
func (v *verifier) incompleteMarks(cp *checkpoint) *checkpoint {
	if v.loopHeads == 0 {
		return nil
	}
	for c := cp; c != nil; c = c.parent {
		if c.loopHead && c.branches > 0 {
			return c
		}
	}
	return nil
}

// loopHeadDone: every path from a loop head has been explored.
func (v *verifier) loopHeadDone(c *checkpoint) {
	c.loopHead = false
	v.loopHeads--
	if v.loopHeads > 0 {
		return
	}
	saved := v.cur
	for i := 0; ; i++ {
		if i >= maxBackedgeIters {
			for _, b := range v.backedges {
				v.markAllPrecise(b.st)
			}
			break
		}
		before := v.marks
		for _, b := range v.backedges {
			v.cur = b.st
			v.propagatePrecision(b.old, b.idx)
			v.propagateStackReads(b.old)
		}
		if v.marks == before {
			break
		}
	}
	v.cur = saved
	for _, b := range v.backedges {
		v.mem -= stateBytes(b.st)
	}
	v.backedges = nil
}

func (v *verifier) isCallbackCall(idx int) bool {
	in := v.insns[idx]
	return in.Opcode == isa.OpCall && uint8(in.Src) == isa.CallHelper && (in.Imm == FuncLoop || in.Imm == FuncForEachMapElem)
}

// idMap pairs ids of the old state with ids of the current one.
type idMap struct {
	pairs [][2]uint32
}

func (m *idMap) check(old, cur uint32) bool {
	if old == 0 && cur == 0 {
		return true
	}
	if old == 0 || cur == 0 {
		return false
	}
	for _, p := range m.pairs {
		if p[0] == old {
			return p[1] == cur
		}
		if p[1] == cur {
			return false
		}
	}
	m.pairs = append(m.pairs, [2]uint32{old, cur})
	return true
}

// liveRegs is the set of registers of frame fi that may still be read
// when cur is at instruction idx: live at idx for the innermost frame, live
// at the return site for callers.
func (v *verifier) liveRegs(cur *state, fi, idx int) uint16 {
	if fi == len(cur.frames)-1 {
		return v.live[idx]
	}
	next := cur.frames[fi+1]
	if next.callback {
		// The callback returns to its helper call.
		return v.live[next.callsite]
	}
	return v.live[next.callsite+1] &^ 1
}

// statesEqual is states_equal: every path from old was verified, so cur is
// safe if everything old allowed covers cur.
func (v *verifier) statesEqual(old, cur *state, idx int, mode cmpMode) bool {
	if len(old.frames) != len(cur.frames) || old.lockID != 0 != (cur.lockID != 0) || old.lockMap != cur.lockMap {
		return false
	}
	if len(old.refs) != len(cur.refs) {
		return false
	}
	var ids idMap
	for i := range old.refs {
		if !ids.check(old.refs[i].id, cur.refs[i].id) {
			return false
		}
	}
	for fi := range old.frames {
		of, cf := old.frames[fi], cur.frames[fi]
		if of.callsite != cf.callsite || of.callback != cf.callback || of.callbackDepth > cf.callbackDepth {
			return false
		}
		live := v.liveRegs(cur, fi, idx)
		for r := 0; r < 10; r++ {
			if live&(1<<r) == 0 {
				continue
			}
			if !v.regsafe(&of.regs[r], &cf.regs[r], &ids, mode) {
				return false
			}
		}
		if !v.stacksafe(of, cf, &ids, mode) {
			return false
		}
	}
	return true
}

func rangeWithin(o, c *reg) bool {
	return o.umin <= c.umin && o.umax >= c.umax && o.smin <= c.smin && o.smax >= c.smax &&
		o.u32min <= c.u32min && o.u32max >= c.u32max && o.s32min <= c.s32min && o.s32max >= c.s32max
}

func (v *verifier) regsafe(o, c *reg, ids *idMap, mode cmpMode) bool {
	if mode == cmpExact {
		if o.typ == NotInit && c.typ == NotInit {
			return true
		}
		if o.typ != c.typ || o.flags != c.flags || o.off != c.off || o.vo != c.vo || !rangeWithin(o, c) || !rangeWithin(c, o) ||
			o.m != c.m || o.rng != c.rng || o.memSize != c.memSize || o.subprog != c.subprog || o.frame != c.frame {
			return false
		}
		return ids.check(o.id, c.id) && ids.check(o.refID, c.refID)
	}
	if o.typ == NotInit {
		return true
	}
	if c.typ == NotInit {
		return false
	}
	if o.typ != c.typ {
		return false
	}
	switch o.typ {
	case Scalar:
		if mode == cmpNotExact && v.priv && !o.precise {
			return true // no check on any path from old used its value
		}
		if !rangeWithin(o, c) || !o.vo.contains(c.vo) {
			return false
		}
		if o.id != 0 {
			return ids.check(o.id, c.id)
		}
		return true
	case PtrToMapValue, PtrToMem, PtrToMapKey:
		if o.flags != c.flags || o.m != c.m || o.off != c.off || o.memSize != c.memSize {
			return false
		}
		return rangeWithin(o, c) && o.vo.contains(c.vo) && ids.check(o.id, c.id) && ids.check(o.refID, c.refID)
	case PtrToPacket, PtrToPacketMeta:
		if o.rng > c.rng || o.off != c.off || (o.rng < 0) != (c.rng < 0) && o.rng != 0 {
			return false
		}
		if o.rng < 0 && o.rng != c.rng {
			return false
		}
		return ids.check(o.id, c.id) && rangeWithin(o, c) && o.vo.contains(c.vo)
	case PtrToStack:
		return o.frame == c.frame && o.off == c.off && rangeWithin(o, c) && o.vo.contains(c.vo)
	case PtrToCtx, PtrToPacketEnd:
		return o.off == c.off && o.vo == c.vo
	case ConstPtrToMap:
		return o.m == c.m && o.off == c.off && o.vo == c.vo
	case PtrToFunc:
		return o.subprog == c.subprog
	}
	return false
}

// unboundScalar stands for a stack slot of eight unknown bytes.
var unboundScalar = func() reg {
	var r reg
	r.setUnknownScalar()
	return r
}()

// scalarForStack is scalar_reg_for_stack: the scalar a slot holds when it
// is a full 64-bit scalar spill or eight bytes of unknown data.
func (v *verifier) scalarForStack(s *slot) *reg {
	if s.kinds == [8]uint8{stackSpill, stackSpill, stackSpill, stackSpill, stackSpill, stackSpill, stackSpill, stackSpill} {
		if s.spill.typ == Scalar {
			return &s.spill
		}
		return nil
	}
	for _, k := range s.kinds {
		if k != stackMisc && !(k == stackInvalid && v.priv) {
			return nil
		}
	}
	return &unboundScalar
}

func (v *verifier) stacksafe(of, cf *funcState, ids *idMap, mode cmpMode) bool {
	for spi := range of.stack {
		os := &of.stack[spi]
		var cs *slot
		if spi < len(cf.stack) {
			cs = &cf.stack[spi]
		}
		if mode == cmpExact {
			if cs == nil {
				for _, k := range os.kinds {
					if k != stackInvalid {
						return false
					}
				}
				continue
			}
			if os.kinds != cs.kinds {
				return false
			}
			if os.isSpill() && !v.regsafe(&os.spill, &cs.spill, ids, cmpExact) {
				return false
			}
			if os.isIter() && !iterSlotsEqual(os, cs, ids) {
				return false
			}
			continue
		}
		if mode == cmpNotExact && spi < 64 && of.read&(1<<spi) == 0 {
			continue // no path from old read this slot before writing it
		}
		if cs != nil {
			// A 64-bit scalar spill and eight unknown bytes compare as
			// scalars.
			if o, c := v.scalarForStack(os), v.scalarForStack(cs); o != nil && c != nil {
				if !v.regsafe(o, c, ids, mode) {
					return false
				}
				continue
			}
		}
		for k := 0; k < 8; k++ {
			ok := os.kinds[k]
			if ok == stackInvalid {
				continue
			}
			if ok == stackMisc && v.priv {
				continue
			}
			if cs == nil {
				return false
			}
			ck := cs.kinds[k]
			switch {
			case ok == ck:
			case ok == stackMisc && ck == stackZero:
			case ok == stackMisc && ck == stackSpill && cs.spill.typ == Scalar:
			default:
				return false
			}
		}
		if os.kinds[7] == stackSpill && !v.regsafe(&os.spill, &cs.spill, ids, mode) {
			return false
		}
		if os.isIter() && !iterSlotsEqual(os, cs, ids) {
			return false
		}
	}
	return true
}

// markStackRead records that the current path reads slot spi of frame fi
// (mark_reg_read): every stored state up the path from which the slot's
// value reaches this read must compare it.
func (v *verifier) markStackRead(fi, spi int) {
	if spi < 0 || spi >= 64 || fi >= len(v.cur.frames) {
		return
	}
	bit := uint64(1) << spi
	cur := v.cur
	if cur.frames[fi].written&bit != 0 {
		return
	}
	for cp := cur.parent; cp != nil; cp = cp.st.parent {
		ps := cp.st
		if len(ps.frames) <= fi {
			return
		}
		for j := 1; j <= fi; j++ {
			if ps.frames[j].callsite != cur.frames[j].callsite {
				return
			}
		}
		f := ps.frames[fi]
		if f.read&bit != 0 {
			return
		}
		f.read |= bit
		v.marks++
		if f.written&bit != 0 {
			return
		}
	}
}

// markStackReads marks the slots covering stack bytes [lo, hi) (offsets
// from the frame pointer, lo < hi <= 0) read.
func (v *verifier) markStackReads(fi, lo, hi int) {
	for spi := (-hi) / 8; spi <= (-lo-1)/8; spi++ {
		v.markStackRead(fi, spi)
	}
}

// propagateStackReads is propagate_liveness for the stack: cur continues
// as old did, so it reads what old's paths read.
func (v *verifier) propagateStackReads(old *state) {
	for fi, f := range old.frames {
		for m := f.read; m != 0; m &= m - 1 {
			v.markStackRead(fi, bits.TrailingZeros64(m))
		}
	}
}
