package verifier

import "github.com/ebpfvm/ebpfvm/isa"

// Precision tracking, the kernel's mark_chain_precision.
//
// Scalars start imprecise: when a stored state is compared with a new one,
// an imprecise scalar of the stored state matches any scalar, because no
// safety check or branch decision on any path from that state depended on
// its value. When a check does depend on a scalar (a pointer offset, a
// helper's size argument, a branch whose outcome the bounds decide, the
// program's return value, ...), markPrecise walks the current path
// backwards, instruction by instruction, to the instructions that produced
// the value, and marks the registers and spilled stack slots it came from
// precise in every stored state (checkpoint) on the way. The walk follows
// the per-state history of jumps and stack accesses (histEntry), as the
// kernel's jmp_history does, across bpf-to-bpf calls and callbacks.
//
// Whenever the walk meets something it does not model, it falls back to the
// kernel's big hammer: every scalar of every checkpoint on the path becomes
// precise, which is always sound (it is what a verifier without precision
// tracking does).

// histEntry records, for one instruction of the current state's segment,
// the instruction executed before it (when that is not the previous one),
// the stack slot it spilled to or filled from, and the scalars that shared
// an id at a conditional jump (their ranges were refined together).
type histEntry struct {
	idx, prev int32
	flags     uint16
	linked    []linkedReg
}

const (
	histStack     = 1 << 15 // the instruction spilled or filled a stack slot
	histSpiMask   = 63
	histFrameBits = 6
)

func histStackFlags(frame, spi int) uint16 {
	return histStack | uint16(frame)<<histFrameBits | uint16(spi)
}

// linkedReg names a register or a spilled slot of a frame.
type linkedReg struct {
	frame uint8
	stack bool
	n     uint8 // register number or stack slot index
}

// backtrack is the set of registers and stack slots, per frame, whose
// precision is still being traced (struct backtrack_state).
type backtrack struct {
	frame int
	regs  [maxCallFrames]uint16
	stack [maxCallFrames]uint64
}

func (b *backtrack) reset(frame int) { *b = backtrack{frame: frame} }

func (b *backtrack) empty() bool {
	for i := range b.regs {
		if b.regs[i] != 0 || b.stack[i] != 0 {
			return false
		}
	}
	return true
}

func (b *backtrack) isReg(r int) bool { return b.regs[b.frame]&(1<<r) != 0 }
func (b *backtrack) setReg(r int)     { b.regs[b.frame] |= 1 << r }
func (b *backtrack) clearReg(r int)   { b.regs[b.frame] &^= 1 << r }

func (b *backtrack) isLinked(l linkedReg) bool {
	if l.stack {
		return b.stack[l.frame]&(1<<l.n) != 0
	}
	return b.regs[l.frame]&(1<<l.n) != 0
}

func (b *backtrack) setLinked(l linkedReg) {
	if l.stack {
		b.stack[l.frame] |= 1 << l.n
	} else {
		b.regs[l.frame] |= 1 << l.n
	}
}

const argRegs = 0x3e // r1-r5

// pushHist records a stack access or a set of linked scalars for the
// instruction being checked, merged with its arrival entry if it has one.
func (v *verifier) pushHist(flags uint16, linked []linkedReg) {
	if !v.priv {
		return
	}
	st := v.cur
	if n := len(st.hist); n > v.histInsn {
		e := &st.hist[n-1]
		e.flags |= flags
		if linked != nil {
			e.linked = linked
		}
		return
	}
	st.hist = append(st.hist, histEntry{idx: int32(v.insnIdx), prev: int32(v.prevInsn), flags: flags, linked: linked})
}

// collectLinked lists every register and spilled slot holding a scalar
// with this id (collect_linked_regs).
func collectLinked(st *state, id uint32, list []linkedReg) []linkedReg {
	for fi, f := range st.frames {
		for i := 0; i < regFP; i++ {
			if r := &f.regs[i]; r.typ == Scalar && r.id == id {
				list = appendLinked(list, linkedReg{frame: uint8(fi), n: uint8(i)})
			}
		}
		for i := range f.stack {
			if s := &f.stack[i]; s.isSpill() && s.spill.typ == Scalar && s.spill.id == id {
				list = appendLinked(list, linkedReg{frame: uint8(fi), stack: true, n: uint8(i)})
			}
		}
	}
	return list
}

func appendLinked(list []linkedReg, l linkedReg) []linkedReg {
	for _, x := range list {
		if x == l {
			return list
		}
	}
	return append(list, l)
}

// syncLinkedBT: if any of the linked scalars needs precision, all do.
func (b *backtrack) syncLinked(e *histEntry) {
	if e == nil || len(e.linked) == 0 {
		return
	}
	some := false
	for _, l := range e.linked {
		if b.isLinked(l) {
			some = true
			break
		}
	}
	if !some {
		return
	}
	for _, l := range e.linked {
		b.setLinked(l)
	}
}

// markPrecise is mark_chain_precision for a register of the current frame.
func (v *verifier) markPrecise(regno int) {
	if !v.priv || regno < 0 || regno >= regFP {
		return
	}
	if v.regs()[regno].typ != Scalar {
		return
	}
	v.bt.reset(len(v.cur.frames) - 1)
	v.bt.setReg(regno)
	v.backtrackFrom(v.cur, v.insnIdx)
}

// markPreciseSlot marks a spilled scalar of a frame precise.
func (v *verifier) markPreciseSlot(frame, spi int) {
	if !v.priv || spi >= 64 {
		return
	}
	v.bt.reset(len(v.cur.frames) - 1)
	v.bt.stack[frame] |= 1 << spi
	v.backtrackFrom(v.cur, v.insnIdx)
}

// propagatePrecision is propagate_precision: cur was found equivalent to
// old, so whatever old needed precise (and compared), cur's history needs
// precise too.
func (v *verifier) propagatePrecision(old *state, idx int) {
	if !v.priv {
		return
	}
	cur := v.cur
	v.bt.reset(len(cur.frames) - 1)
	for fi, of := range old.frames {
		live := v.liveRegs(cur, fi, idx)
		for r := 0; r < regFP; r++ {
			if o := &of.regs[r]; o.typ == Scalar && o.precise && live&(1<<r) != 0 {
				v.bt.regs[fi] |= 1 << r
			}
		}
		for spi := range of.stack {
			s := &of.stack[spi]
			if spi < 64 && s.isSpill() && s.spill.typ == Scalar && s.spill.precise && spi < len(cur.frames[fi].stack) {
				v.bt.stack[fi] |= 1 << spi
			}
		}
	}
	if v.bt.empty() {
		return
	}
	v.backtrackFrom(cur, idx)
}

// backtrackFrom walks back from instruction last of state st (whose own
// effect is not traced: the values wanted are its inputs) through st's
// segment and the segments of its checkpoints, marking what v.bt asks for.
func (v *verifier) backtrackFrom(st *state, last int) {
	start := st
	first := st.first
	hist := st.hist
	subseq := -1
	skip := true
	for {
		if v.logLevel >= 2 {
			v.log.printf("mark_precise: frame%d: last_idx %d first_idx %d subseq_idx %d \n", v.bt.frame, last, first, subseq)
		}
		if last < 0 {
			break
		}
		i := last
		for {
			if skip {
				skip = false
			} else {
				var e *histEntry
				if n := len(hist); n > 0 && int(hist[n-1].idx) == i {
					e = &hist[n-1]
				}
				if !v.backtrackInsn(i, subseq, e) {
					v.markAllPrecise(start)
					return
				}
			}
			if v.bt.empty() {
				return
			}
			subseq = i
			n := len(hist)
			if i == first && (n == 0 || n == 1 && int(hist[0].idx) == i) {
				break
			}
			if n > 0 && int(hist[n-1].idx) == i {
				i = int(hist[n-1].prev)
				hist = hist[:n-1]
			} else {
				i--
			}
			if i < 0 {
				break
			}
		}
		cp := st.parent
		if cp == nil {
			break
		}
		pst := cp.st
		if len(pst.frames) <= v.bt.frame {
			v.markAllPrecise(start)
			return
		}
		for fr := v.bt.frame; fr >= 0; fr-- {
			f := pst.frames[fr]
			for r := 0; r < regFP; r++ {
				if v.bt.regs[fr]&(1<<r) == 0 {
					continue
				}
				x := &f.regs[r]
				if x.typ != Scalar || x.precise {
					v.bt.regs[fr] &^= 1 << r
				} else {
					x.precise = true
					v.marks++
				}
			}
			logMask := v.bt.regs[fr]
			for spi := 0; spi < 64; spi++ {
				if v.bt.stack[fr]&(1<<spi) == 0 {
					continue
				}
				if spi >= len(f.stack) {
					v.markAllPrecise(start)
					return
				}
				s := &f.stack[spi]
				if !s.isSpill() || s.spill.typ != Scalar || s.spill.precise {
					v.bt.stack[fr] &^= 1 << spi
				} else {
					s.spill.precise = true
					v.marks++
				}
			}
			if v.logLevel >= 2 {
				v.log.printf("mark_precise: frame%d: parent state regs=%s stack=%s: %s\n",
					fr, regMaskString(logMask), stackMaskString(v.bt.stack[fr]), v.stateString(f, true))
			}
		}
		if v.bt.empty() {
			return
		}
		subseq = first
		st = pst
		last, first, hist = pst.last, pst.first, pst.hist
	}
	if !v.bt.empty() {
		// The values came from the program's entry (generic-type r2) or
		// from something not modelled: be conservative.
		v.markAllPrecise(start)
	}
}

// backtrackInsn is backtrack_insn: how instruction i, executed before
// subseq, passes the precision requirements in v.bt to its inputs. It
// returns false when the instruction is not modelled.
func (v *verifier) backtrackInsn(i, subseq int, e *histEntry) bool {
	b := &v.bt
	if v.logLevel >= 2 {
		v.log.printf("mark_precise: frame%d: regs=%s stack=%s before %d: (%02x) %s\n", b.frame,
			regMaskString(b.regs[b.frame]), stackMaskString(b.stack[b.frame]), i, uint8(v.insns[i].Opcode), isa.FormatInstruction(v.insns, i))
	}
	b.syncLinked(e)
	in := v.insns[i]
	d, s := int(in.Dst&15), int(in.Src&15)
	stackAccess := e != nil && e.flags&histStack != 0
	var sfr, spi int
	if stackAccess {
		sfr = int(e.flags>>histFrameBits) & 7
		spi = int(e.flags & histSpiMask)
	}
	switch in.Opcode.Class() {
	case isa.ClassALU, isa.ClassALU64:
		if d >= regFP || !b.isReg(d) {
			return true
		}
		x := in.Opcode.Source() == isa.SourceX
		switch in.Opcode.Op() {
		case isa.ALUEnd, isa.ALUNeg:
		case isa.ALUMov:
			b.clearReg(d)
			if x && s != regFP {
				b.setReg(s)
			}
		default:
			if x && s != regFP {
				b.setReg(s)
			}
		}
	case isa.ClassLDX:
		if d >= regFP || !b.isReg(d) {
			return true
		}
		b.clearReg(d)
		if stackAccess {
			b.stack[sfr] |= 1 << spi
		}
	case isa.ClassST, isa.ClassSTX:
		if d < regFP && b.isReg(d) {
			return false // a scalar used as an address: pointer subtraction
		}
		if in.Opcode.Mode() == isa.ModeATOMIC {
			return b.backtrackAtomic(in, stackAccess, sfr, spi)
		}
		if !stackAccess || b.stack[sfr]&(1<<spi) == 0 {
			return true
		}
		b.stack[sfr] &^= 1 << spi
		if in.Opcode.Class() == isa.ClassSTX {
			b.setReg(s)
		}
	case isa.ClassLD:
		if in.Opcode == isa.OpLdImm64 {
			if d < regFP {
				b.clearReg(d)
			}
			return true
		}
		if b.regs[b.frame]&0x3f != 0 {
			return false // LD_ABS/IND: r0 from the packet, r1-r5 clobbered
		}
	case isa.ClassJMP, isa.ClassJMP32:
		return v.backtrackJump(i, subseq, in, e)
	}
	return true
}

// backtrackAtomic: a load-acquire is a load, a store-release a store; the
// other atomics load the old value into the fetch register (r0 for
// cmpxchg) and leave unknown data in memory.
func (b *backtrack) backtrackAtomic(in isa.Instruction, stackAccess bool, sfr, spi int) bool {
	d, s := int(in.Dst&15), int(in.Src&15)
	slotSet := stackAccess && b.stack[sfr]&(1<<spi) != 0
	switch in.Imm {
	case isa.AtomicLoadAcq:
		if d < regFP && b.isReg(d) {
			b.clearReg(d)
			if stackAccess {
				b.stack[sfr] |= 1 << spi
			}
		}
		return true
	case isa.AtomicStoreRel:
		if slotSet {
			b.stack[sfr] &^= 1 << spi
			b.setReg(s)
		}
		return true
	}
	if slotSet {
		// Memory after the operation is unknown data: nothing to trace,
		// but stay conservative about the operand.
		b.stack[sfr] &^= 1 << spi
		b.setReg(s)
	}
	load := -1
	if in.Imm&isa.AtomicFetch != 0 {
		load = s
		if in.Imm == isa.AtomicCmpXchg {
			load = 0
		}
	}
	if load >= 0 && load < regFP && b.isReg(load) {
		b.clearReg(load)
		if stackAccess {
			b.stack[sfr] |= 1 << spi
		}
	}
	return true
}

func (v *verifier) backtrackJump(i, subseq int, in isa.Instruction, e *histEntry) bool {
	b := &v.bt
	d, s := int(in.Dst&15), int(in.Src&15)
	switch in.Opcode.Op() {
	case isa.JmpCall:
		switch {
		case uint8(in.Src) == isa.CallLocal && v.globalFunc(v.insnSubprog[i+1+int(in.Imm)]) == nil:
			if subseq != i+1+int(in.Imm) {
				return false
			}
			// Leaving the callee backwards: only its arguments remain.
			if b.regs[b.frame]&^argRegs != 0 || b.stack[b.frame] != 0 || b.frame == 0 {
				return false
			}
			args := b.regs[b.frame]
			b.regs[b.frame] = 0
			b.frame--
			b.regs[b.frame] |= args
		case subseq != i+1:
			// The start of a callback, entered from its helper: the
			// helper set the callback's arguments.
			if !v.isCallbackCall(i) || b.regs[b.frame]&^argRegs != 0 || b.stack[b.frame] != 0 || b.frame == 0 {
				return false
			}
			b.regs[b.frame] = 0
			b.frame--
		default:
			// Helpers, kfuncs and global functions (which are not
			// entered) set r0 and clobber r1-r5.
			b.clearReg(0)
			if b.regs[b.frame]&argRegs != 0 {
				return false
			}
		}
	case isa.JmpExit:
		if subseq < 1 {
			return false
		}
		fromCall := v.insns[subseq-1].Opcode == isa.OpCall && uint8(v.insns[subseq-1].Src) == isa.CallLocal
		if !fromCall && !v.isCallbackCall(subseq) {
			return false
		}
		r0 := fromCall && b.isReg(0)
		if fromCall && b.regs[b.frame]&argRegs != 0 {
			return false
		}
		b.clearReg(0)
		if b.frame+1 >= maxCallFrames {
			return false
		}
		b.frame++
		b.regs[b.frame], b.stack[b.frame] = 0, 0
		if r0 {
			b.setReg(0)
		}
	case isa.JmpJA, isa.JmpJCond:
	default:
		if in.Opcode.Source() == isa.SourceX {
			if b.isReg(d) || b.isReg(s) {
				b.setReg(d)
				b.setReg(s)
			}
		}
		b.syncLinked(e)
	}
	return true
}

// markAllPrecise is mark_all_scalars_precise: every scalar of every
// checkpoint on st's path becomes precise.
func (v *verifier) markAllPrecise(st *state) {
	v.bt.reset(0)
	for cp := st.parent; cp != nil; cp = cp.st.parent {
		for _, f := range cp.st.frames {
			for r := range f.regs {
				if f.regs[r].typ == Scalar && !f.regs[r].precise {
					f.regs[r].precise = true
					v.marks++
				}
			}
			for i := range f.stack {
				if s := &f.stack[i]; s.isSpill() && s.spill.typ == Scalar && !s.spill.precise {
					s.spill.precise = true
					v.marks++
				}
			}
		}
	}
}

// markAllImprecise is mark_all_scalars_imprecise: a new checkpoint starts
// with no precision requirements; its descendants will add them.
func markAllImprecise(st *state) {
	for _, f := range st.frames {
		for r := range f.regs {
			f.regs[r].precise = false
		}
		for i := range f.stack {
			f.stack[i].spill.precise = false
		}
	}
}

// pushArrival records that instruction idx was reached from prev, not from
// idx-1.
func (v *verifier) pushArrival(idx, prev int) {
	v.cur.hist = append(v.cur.hist, histEntry{idx: int32(idx), prev: int32(prev)})
}

// regMaskString is fmt_reg_mask: "r1,r6".
func regMaskString(m uint16) string {
	s := ""
	for r := 0; r < 16; r++ {
		if m&(1<<r) != 0 {
			if s != "" {
				s += ","
			}
			s += sprintf("r%d", r)
		}
	}
	return s
}

// stackMaskString is fmt_stack_mask: "-8,-24".
func stackMaskString(m uint64) string {
	s := ""
	for i := 0; i < 64; i++ {
		if m&(1<<i) != 0 {
			if s != "" {
				s += ","
			}
			s += sprintf("%d", -(i+1)*8)
		}
	}
	return s
}
