package verifier

import (
	"github.com/ebpfvm/ebpfvm/isa"
)

const (
	atPktEnd     = -1
	beyondPktEnd = -2
	maxPacketOff = 0xffff
)

func flipOp(op uint8) uint8 {
	switch op {
	case isa.JmpJGE:
		return isa.JmpJLE
	case isa.JmpJGT:
		return isa.JmpJLT
	case isa.JmpJLE:
		return isa.JmpJGE
	case isa.JmpJLT:
		return isa.JmpJGT
	case isa.JmpJSGE:
		return isa.JmpJSLE
	case isa.JmpJSGT:
		return isa.JmpJSLT
	case isa.JmpJSLE:
		return isa.JmpJSGE
	case isa.JmpJSLT:
		return isa.JmpJSGT
	}
	return op
}

// jsetNot is the reverse of JSET in refinements (BPF_JSET | BPF_X).
const jsetNot = isa.JmpJSET | 0x08

func revOp(op uint8) uint8 {
	switch op {
	case isa.JmpJEQ:
		return isa.JmpJNE
	case isa.JmpJNE:
		return isa.JmpJEQ
	case isa.JmpJSET:
		return jsetNot
	case jsetNot:
		return isa.JmpJSET
	case isa.JmpJGE:
		return isa.JmpJLT
	case isa.JmpJGT:
		return isa.JmpJLE
	case isa.JmpJLE:
		return isa.JmpJGT
	case isa.JmpJLT:
		return isa.JmpJGE
	case isa.JmpJSGE:
		return isa.JmpJSLT
	case isa.JmpJSGT:
		return isa.JmpJSLE
	case isa.JmpJSLE:
		return isa.JmpJSGT
	case isa.JmpJSLT:
		return isa.JmpJSGE
	}
	return 0
}

func tnumOverlap(a, b tnum) bool {
	mu := ^a.mask & ^b.mask
	return (a.value^b.value)&mu == 0
}

// scalarBranchTaken is is_scalar_branch_taken: 1 taken, 0 not, -1 unknown.
func scalarBranchTaken(r1, r2 *reg, op uint8, jmp32 bool) int {
	t1, t2 := r1.vo, r2.vo
	umin1, umax1, smin1, smax1 := r1.umin, r1.umax, r1.smin, r1.smax
	umin2, umax2, smin2, smax2 := r2.umin, r2.umax, r2.smin, r2.smax
	if jmp32 {
		t1, t2 = t1.subreg(), t2.subreg()
		umin1, umax1, smin1, smax1 = uint64(r1.u32min), uint64(r1.u32max), int64(r1.s32min), int64(r1.s32max)
		umin2, umax2, smin2, smax2 = uint64(r2.u32min), uint64(r2.u32max), int64(r2.s32min), int64(r2.s32max)
	}
	disjoint := func() bool {
		if !tnumOverlap(t1, t2) || umin1 > umax2 || umax1 < umin2 || smin1 > smax2 || smax1 < smin2 {
			return true
		}
		if !jmp32 {
			if r1.u32min > r2.u32max || r1.u32max < r2.u32min || r1.s32min > r2.s32max || r1.s32max < r2.s32min {
				return true
			}
		}
		return false
	}
	switch op {
	case isa.JmpJEQ:
		if t1.isConst() && t2.isConst() {
			return b2i(t1.value == t2.value)
		}
		if disjoint() {
			return 0
		}
	case isa.JmpJNE:
		if t1.isConst() && t2.isConst() {
			return b2i(t1.value != t2.value)
		}
		if disjoint() {
			return 1
		}
	case isa.JmpJSET:
		if !r2.isConst32(jmp32) {
			r1, r2 = r2, r1
			t1, t2 = t2, t1
		}
		if !r2.isConst32(jmp32) {
			return -1
		}
		if (^t1.mask&t1.value)&t2.value != 0 {
			return 1
		}
		if (t1.mask|t1.value)&t2.value == 0 {
			return 0
		}
	case isa.JmpJGT:
		if umin1 > umax2 {
			return 1
		} else if umax1 <= umin2 {
			return 0
		}
	case isa.JmpJSGT:
		if smin1 > smax2 {
			return 1
		} else if smax1 <= smin2 {
			return 0
		}
	case isa.JmpJLT:
		if umax1 < umin2 {
			return 1
		} else if umin1 >= umax2 {
			return 0
		}
	case isa.JmpJSLT:
		if smax1 < smin2 {
			return 1
		} else if smin1 >= smax2 {
			return 0
		}
	case isa.JmpJGE:
		if umin1 >= umax2 {
			return 1
		} else if umax1 < umin2 {
			return 0
		}
	case isa.JmpJSGE:
		if smin1 >= smax2 {
			return 1
		} else if smax1 < smin2 {
			return 0
		}
	case isa.JmpJLE:
		if umax1 <= umin2 {
			return 1
		} else if umin1 > umax2 {
			return 0
		}
	case isa.JmpJSLE:
		if smax1 <= smin2 {
			return 1
		} else if smin1 > smax2 {
			return 0
		}
	}
	return -1
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func pktBranchTaken(d, s *reg, op uint8) int {
	var pkt *reg
	if s.typ == PtrToPacketEnd {
		pkt = d
	} else if d.typ == PtrToPacketEnd {
		pkt = s
		op = flipOp(op)
	} else {
		return -1
	}
	if pkt.rng >= 0 {
		return -1
	}
	switch op {
	case isa.JmpJLE, isa.JmpJGT:
		if pkt.rng == beyondPktEnd {
			return b2i(op == isa.JmpJGT)
		}
	case isa.JmpJLT, isa.JmpJGE:
		if pkt.rng == beyondPktEnd || pkt.rng == atPktEnd {
			return b2i(op == isa.JmpJGE)
		}
	}
	return -1
}

func isPktAny(r *reg) bool {
	return r.typ == PtrToPacket || r.typ == PtrToPacketMeta || r.typ == PtrToPacketEnd
}

func branchTaken(r1, r2 *reg, op uint8, jmp32 bool) int {
	if isPktAny(r1) && isPktAny(r2) && !jmp32 {
		return pktBranchTaken(r1, r2, op)
	}
	if r1.isPointer() || r2.isPointer() {
		if jmp32 {
			return -1
		}
		if !r2.isConst32(false) || r2.typ != Scalar {
			op = flipOp(op)
			r1, r2 = r2, r1
		}
		if r2.typ != Scalar || !r2.isConst32(false) {
			return -1
		}
		if !r1.notNull() {
			return -1
		}
		if r2.vo.value != 0 {
			return -1
		}
		switch op {
		case isa.JmpJEQ:
			return 0
		case isa.JmpJNE:
			return 1
		}
		return -1
	}
	return scalarBranchTaken(r1, r2, op, jmp32)
}

// refine is regs_refine_cond_op: what "r1 <op> r2" being true teaches.
func refine(r1, r2 *reg, op uint8, jmp32 bool) {
	switch op {
	case isa.JmpJGE, isa.JmpJGT, isa.JmpJSGE, isa.JmpJSGT:
		op = flipOp(op)
		r1, r2 = r2, r1
	}
	switch op {
	case isa.JmpJEQ:
		if jmp32 {
			r1.u32min = max(r1.u32min, r2.u32min)
			r1.u32max = min(r1.u32max, r2.u32max)
			r1.s32min = max(r1.s32min, r2.s32min)
			r1.s32max = min(r1.s32max, r2.s32max)
			r2.u32min, r2.u32max, r2.s32min, r2.s32max = r1.u32min, r1.u32max, r1.s32min, r1.s32max
			t := tnumIntersect(r1.vo.subreg(), r2.vo.subreg())
			r1.vo = r1.vo.withSubreg(t)
			r2.vo = r2.vo.withSubreg(t)
		} else {
			r1.umin = max(r1.umin, r2.umin)
			r1.umax = min(r1.umax, r2.umax)
			r1.smin = max(r1.smin, r2.smin)
			r1.smax = min(r1.smax, r2.smax)
			r2.umin, r2.umax, r2.smin, r2.smax = r1.umin, r1.umax, r1.smin, r1.smax
			r1.vo = tnumIntersect(r1.vo, r2.vo)
			r2.vo = r1.vo
		}
	case isa.JmpJNE:
		if !r2.isConst32(jmp32) {
			r1, r2 = r2, r1
		}
		if !r2.isConst32(jmp32) {
			break
		}
		val := r2.constValue(jmp32)
		if jmp32 {
			if r1.u32min == uint32(val) {
				r1.u32min++
			}
			if r1.u32max == uint32(val) {
				r1.u32max--
			}
			if r1.s32min == int32(val) {
				r1.s32min++
			}
			if r1.s32max == int32(val) {
				r1.s32max--
			}
		} else {
			if r1.umin == val {
				r1.umin++
			}
			if r1.umax == val {
				r1.umax--
			}
			if r1.smin == int64(val) {
				r1.smin++
			}
			if r1.smax == int64(val) {
				r1.smax--
			}
		}
	case isa.JmpJSET:
		if !r2.isConst32(jmp32) {
			r1, r2 = r2, r1
		}
		if !r2.isConst32(jmp32) {
			break
		}
		val := r2.constValue(jmp32)
		if val == 0 || val&(val-1) != 0 {
			break
		}
		if jmp32 {
			r1.vo = r1.vo.withSubreg(tnumOr(r1.vo.subreg(), tnumConst(val)))
		} else {
			r1.vo = tnumOr(r1.vo, tnumConst(val))
		}
	case jsetNot:
		if !r2.isConst32(jmp32) {
			r1, r2 = r2, r1
		}
		if !r2.isConst32(jmp32) {
			break
		}
		val := r2.constValue(jmp32)
		r1.markUnbounded()
		if jmp32 {
			r1.vo = r1.vo.withSubreg(tnumAnd(r1.vo.subreg(), tnumConst(^val)))
		} else {
			r1.vo = tnumAnd(r1.vo, tnumConst(^val))
		}
	case isa.JmpJLE:
		if jmp32 {
			r1.u32max = min(r1.u32max, r2.u32max)
			r2.u32min = max(r1.u32min, r2.u32min)
		} else {
			r1.umax = min(r1.umax, r2.umax)
			r2.umin = max(r1.umin, r2.umin)
		}
	case isa.JmpJLT:
		if jmp32 {
			r1.u32max = min(r1.u32max, r2.u32max-1)
			r2.u32min = max(r1.u32min+1, r2.u32min)
		} else {
			r1.umax = min(r1.umax, r2.umax-1)
			r2.umin = max(r1.umin+1, r2.umin)
		}
	case isa.JmpJSLE:
		if jmp32 {
			r1.s32max = min(r1.s32max, r2.s32max)
			r2.s32min = max(r1.s32min, r2.s32min)
		} else {
			r1.smax = min(r1.smax, r2.smax)
			r2.smin = max(r1.smin, r2.smin)
		}
	case isa.JmpJSLT:
		if jmp32 {
			r1.s32max = min(r1.s32max, r2.s32max-1)
			r2.s32min = max(r1.s32min+1, r2.s32min)
		} else {
			r1.smax = min(r1.smax, r2.smax-1)
			r2.smin = max(r1.smin+1, r2.smin)
		}
	}
}

// checkCondJump is check_cond_jmp_op.
func (v *verifier) checkCondJump(idx int, in isa.Instruction) (int, bool, error) {
	op := in.Opcode.Op()
	jmp32 := in.Opcode.Class() == isa.ClassJMP32
	x := in.Opcode.Source() == isa.SourceX
	target := idx + 1 + int(in.Offset)
	if err := v.checkRegRead(idx, in.Dst); err != nil {
		return 0, false, err
	}
	regs := v.regs()
	dst := &regs[in.Dst]
	var src *reg
	var fake reg
	if x {
		if err := v.checkRegRead(idx, in.Src); err != nil {
			return 0, false, err
		}
		src = &regs[in.Src]
		if !(isPktAny(dst) && isPktAny(src)) && v.isPointerLeak(src) {
			return 0, false, v.errf(idx, "R%d pointer comparison prohibited", in.Src)
		}
	} else {
		fake = reg{typ: Scalar}
		fake.markKnown(uint64(int64(in.Imm)))
		src = &fake
	}
	pred := branchTaken(dst, src, op, jmp32)
	if pred >= 0 {
		// The bounds decided the branch: they must hold wherever this
		// path is reused.
		if dst.typ == Scalar {
			v.markPrecise(int(in.Dst))
		}
		if x && src.typ == Scalar {
			v.markPrecise(int(in.Src))
		}
		if pred == 1 {
			return target, false, nil
		}
		return idx + 1, false, nil
	}
	if v.priv {
		// Scalars sharing an id are refined together below: record
		// them so precision backtracking treats them as one.
		var linked []linkedReg
		if x && src.typ == Scalar && src.id != 0 {
			linked = collectLinked(v.cur, src.id, linked)
		}
		if dst.typ == Scalar && dst.id != 0 {
			linked = collectLinked(v.cur, dst.id, linked)
		}
		if len(linked) > 1 {
			v.pushHist(0, linked)
		}
	}
	other := v.push(target, idx)
	oregs := &other.cur().regs
	var oSrc *reg
	if x {
		oSrc = &oregs[in.Src]
	} else {
		f2 := fake
		oSrc = &f2
		f3 := fake
		src = &f3
	}
	oDst := &oregs[in.Dst]
	deadThis, deadOther := false, false
	if dst.typ == Scalar && src.typ == Scalar {
		refine(dst, src, revOp(op), jmp32)
		dst.sync()
		src.sync()
		refine(oDst, oSrc, op, jmp32)
		oDst.sync()
		oSrc.sync()
		deadThis = !dst.boundsValid() || !src.boundsValid()
		deadOther = !oDst.boundsValid() || !oSrc.boundsValid()
	}
	if x && src.typ == Scalar && src.id != 0 {
		syncLinked(v.cur, src)
		syncLinked(other, oSrc)
	}
	if dst.typ == Scalar && dst.id != 0 {
		syncLinked(v.cur, dst)
		syncLinked(other, oDst)
	}
	if !jmp32 && x && dst.isPointer() && src.isPointer() && dst.isNullable() != src.isNullable() {
		// Comparing a maybe-null pointer with a non-null one.
		if op == isa.JmpJEQ || op == isa.JmpJNE {
			var eq *state
			var r isa.Register
			if op == isa.JmpJEQ {
				eq = other
			} else {
				eq = v.cur
			}
			if dst.isNullable() {
				r = in.Dst
			} else {
				r = in.Src
			}
			v.markPtrOrNull(eq, eq.cur().regs[r].id, false)
		}
	}
	if !jmp32 && !x && in.Imm == 0 && (op == isa.JmpJEQ || op == isa.JmpJNE) && dst.isNullable() {
		id := dst.id
		v.markPtrOrNull(v.cur, id, op == isa.JmpJNE)
		v.markPtrOrNull(other, id, op == isa.JmpJEQ)
	} else if !v.matchPktPointers(in, dst, src, v.cur, other) && v.isPointerLeak(dst) {
		return 0, false, v.errf(idx, "R%d pointer comparison prohibited", in.Dst)
	}
	if deadOther {
		// The refined jump target has no possible value: drop it.
		v.mem -= v.pending[len(v.pending)-1].bytes
		v.pending = v.pending[:len(v.pending)-1]
		if other.parent != nil {
			other.parent.branches--
		}
	}
	if deadThis {
		return 0, true, nil
	}
	return idx + 1, false, nil
}

// syncLinked copies the refined range of a scalar to every register and
// spilled slot that holds the same value (same id).
func syncLinked(st *state, known *reg) {
	id := known.id
	for _, f := range st.frames {
		for i := range f.regs {
			r := &f.regs[i]
			if r != known && r.typ == Scalar && r.id == id {
				*r = *known
			}
		}
		for i := range f.stack {
			s := &f.stack[i]
			if s.isSpill() && s.spill.typ == Scalar && s.spill.id == id {
				s.spill = *known
			}
		}
	}
}

// markPtrOrNull resolves a null check on every copy of the pointer: 0 in
// the null branch, a valid pointer in the other.
func (v *verifier) markPtrOrNull(st *state, id uint32, isNull bool) {
	if id == 0 {
		return
	}
	var refID uint32
	apply := func(r *reg) {
		if r.flags&MaybeNull == 0 || r.id != id {
			return
		}
		if refID == 0 {
			refID = r.refID
		}
		if isNull {
			r.setConstScalar(0)
			return
		}
		r.flags &^= MaybeNull
		if r.typ == PtrToMapValue && r.m != nil && r.m.Inner != nil {
			// A map-in-map lookup yields the inner map
			// (mark_ptr_or_null_reg: inner_map_meta).
			r.typ = ConstPtrToMap
			r.m = r.m.Inner
		}
		if !r.isPkt() {
			r.id = 0
		}
	}
	for _, f := range st.frames {
		for i := range f.regs {
			apply(&f.regs[i])
		}
		for i := range f.stack {
			if f.stack[i].isSpill() {
				apply(&f.stack[i].spill)
			}
		}
	}
	if isNull && refID != 0 {
		// The reservation failed: nothing to release.
		st.releaseRef(refID)
	}
}

func (st *state) releaseRef(id uint32) bool {
	for i, r := range st.refs {
		if r.id == id {
			st.refs = append(st.refs[:i:i], st.refs[i+1:]...)
			return true
		}
	}
	return false
}

// matchPktPointers is try_match_pkt_pointers.
func (v *verifier) matchPktPointers(in isa.Instruction, dst, src *reg, this, other *state) bool {
	if in.Opcode.Source() != isa.SourceX || in.Opcode.Class() == isa.ClassJMP32 {
		return false
	}
	initPkt := func(r *reg, t RegType) bool {
		return r.typ == t && r.off == 0 && r.vo.equalsConst(0)
	}
	pktVsEnd := (dst.typ == PtrToPacket && src.typ == PtrToPacketEnd) || (dst.typ == PtrToPacketMeta && initPkt(src, PtrToPacket))
	endVsPkt := (dst.typ == PtrToPacketEnd && src.typ == PtrToPacket) || (initPkt(dst, PtrToPacket) && src.typ == PtrToPacketMeta)
	d, s := *dst, *src
	switch in.Opcode.Op() {
	case isa.JmpJGT:
		if pktVsEnd {
			findGoodPkt(this, &d, false)
			markPktEnd(other, in.Dst, true)
		} else if endVsPkt {
			findGoodPkt(other, &s, true)
			markPktEnd(this, in.Src, false)
		} else {
			return false
		}
	case isa.JmpJLT:
		if pktVsEnd {
			findGoodPkt(other, &d, true)
			markPktEnd(this, in.Dst, false)
		} else if endVsPkt {
			findGoodPkt(this, &s, false)
			markPktEnd(other, in.Src, true)
		} else {
			return false
		}
	case isa.JmpJGE:
		if pktVsEnd {
			findGoodPkt(this, &d, true)
			markPktEnd(other, in.Dst, false)
		} else if endVsPkt {
			findGoodPkt(other, &s, false)
			markPktEnd(this, in.Src, true)
		} else {
			return false
		}
	case isa.JmpJLE:
		if pktVsEnd {
			findGoodPkt(other, &d, false)
			markPktEnd(this, in.Dst, true)
		} else if endVsPkt {
			findGoodPkt(this, &s, true)
			markPktEnd(other, in.Src, false)
		} else {
			return false
		}
	default:
		return false
	}
	return true
}

func findGoodPkt(st *state, d *reg, rightOpen bool) {
	if d.off < 0 || (d.off == 0 && rightOpen) {
		return
	}
	if d.umax > maxPacketOff || d.umax+uint64(d.off) > maxPacketOff {
		return
	}
	nr := d.off
	if rightOpen {
		nr++
	}
	for _, f := range st.frames {
		for i := range f.regs {
			r := &f.regs[i]
			if r.typ == d.typ && r.id == d.id && r.rng < nr {
				r.rng = nr
			}
		}
		for i := range f.stack {
			r := &f.stack[i].spill
			if f.stack[i].isSpill() && r.typ == d.typ && r.id == d.id && r.rng < nr {
				r.rng = nr
			}
		}
	}
}

func markPktEnd(st *state, regno isa.Register, open bool) {
	r := &st.cur().regs[regno]
	if !r.isPkt() {
		return
	}
	if open {
		r.rng = beyondPktEnd
	} else {
		r.rng = atPktEnd
	}
}
