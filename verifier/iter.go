package verifier

import (
	"errors"
	"fmt"

	"github.com/ebpfvm/ebpfvm/isa"
)

// Open-coded iterators (the kernel's KF_ITER_NEW/NEXT/DESTROY kfuncs, as
// used by bpf_for, bpf_repeat and bpf_for_each): a struct bpf_iter_<type>
// lives on the program's stack; _new initialises it and takes a
// reference, _next returns a pointer or NULL, _destroy releases it.
//
// The verifier tracks the iterator in its stack slots (STACK_ITER): the
// first slot holds the reference, the iterator's state (active or
// drained) and its depth (how many _next calls returned non-NULL on this
// path). A _next call on an active iterator forks: the current path goes
// on with NULL and the iterator drained, a queued path with a non-NULL
// pointer and the depth increased. The loop converges by pruning at the
// _next call against the state of an earlier iteration on the same path
// (compared by range, as for callbacks), helped by widening the imprecise
// scalars that changed between iterations. Depths are not compared when
// pruning; they only keep the infinite-loop check from firing between
// iterations.

// IterRole says which of an iterator's kfuncs a prototype is.
type IterRole uint8

const (
	IterNew     IterRole = iota + 1 // bpf_iter_<type>_new(it, ...)
	IterNext                        // bpf_iter_<type>_next(it): pointer or NULL
	IterDestroy                     // bpf_iter_<type>_destroy(it)
)

// IterKfunc marks a kfunc prototype as one of an open-coded iterator's
// (HelperProto.Iter). Arg 0 is the iterator; the prototype's other
// arguments are checked as scalars (ArgAnything).
type IterKfunc struct {
	Role IterRole
	Type string // "num" for struct bpf_iter_num
	Size int    // size of the iterator struct in bytes, a multiple of 8
}

// IterNumKfuncs returns the prototypes of bpf_iter_num_new,
// bpf_iter_num_next and bpf_iter_num_destroy (kernel/bpf/bpf_iter.c):
// new(struct bpf_iter_num *, int start, int end) int,
// next(struct bpf_iter_num *) int * (NULL at the end),
// destroy(struct bpf_iter_num *).
func IterNumKfuncs() (newFn, next, destroy *HelperProto) {
	it := func(r IterRole) *IterKfunc { return &IterKfunc{Role: r, Type: "num", Size: 8} }
	newFn = &HelperProto{Name: "bpf_iter_num_new", Ret: RetInteger, Iter: it(IterNew),
		Args: [5]ArgKind{ArgAnything, ArgAnything, ArgAnything}}
	next = &HelperProto{Name: "bpf_iter_num_next", Ret: RetPtrToMemOrNull, RetSize: 4, Iter: it(IterNext),
		Args: [5]ArgKind{ArgAnything}}
	destroy = &HelperProto{Name: "bpf_iter_num_destroy", Ret: RetVoid, Iter: it(IterDestroy),
		Args: [5]ArgKind{ArgAnything}}
	return newFn, next, destroy
}

type iterState uint8

const (
	iterInvalid iterState = iota
	iterActive
	iterDrained
)

// iterSlot is the iterator state kept in its first stack slot.
type iterSlot struct {
	typ   string
	state iterState
	depth int32
	ref   uint32
}

func (it iterSlot) String() string {
	st := "active"
	if it.state == iterDrained {
		st = "drained"
	}
	return fmt.Sprintf("iter_%s(ref_id=%d,state=%s,depth=%d)", it.typ, it.ref, st, it.depth)
}

// isIter: all eight bytes of the slot belong to an iterator.
func (s *slot) isIter() bool {
	return s.kinds == [8]uint8{stackIter, stackIter, stackIter, stackIter, stackIter, stackIter, stackIter, stackIter}
}

// scrubIter turns an iterator slot that a store overwrites into
// ordinary data, as the kernel does (the reference stays held).
func (s *slot) scrubIter() {
	for i, k := range s.kinds {
		if k == stackIter {
			s.kinds[i] = stackMisc
		}
	}
	s.iter = iterSlot{}
}

// iterSlotsEqual compares the iterator slots of two states: same type,
// state and reference (depths are ignored, see above).
func iterSlotsEqual(o, c *slot, ids *idMap) bool {
	return o.iter.typ == c.iter.typ && o.iter.state == c.iter.state && ids.check(o.iter.ref, c.iter.ref)
}

// iterDepthsDiffer is iter_active_depths_differ: two visits of a loop
// whose active iterators have different depths are different iterations,
// not an infinite loop.
func iterDepthsDiffer(old, cur *state) bool {
	for fi, of := range old.frames {
		cf := cur.frames[fi]
		for spi := range of.stack {
			if spi >= len(cf.stack) || !of.stack[spi].isIter() || of.stack[spi].iter.state != iterActive {
				continue
			}
			if cf.stack[spi].iter.depth != of.stack[spi].iter.depth {
				return true
			}
		}
	}
	return false
}

// isIterNextCall reports whether instruction i calls an iterator's _next
// kfunc (is_iter_next_insn).
func (v *verifier) isIterNextCall(i int) bool {
	in := v.insns[i]
	if in.Opcode != isa.OpCall || uint8(in.Src) != isa.CallKfunc || in.Offset != 0 {
		return false
	}
	_, p, _ := v.lookupKfunc(in.Imm)
	return p != nil && p.Iter != nil && p.Iter.Role == IterNext
}

// iterActiveAt reports whether r1 of the current frame points to an
// active iterator (the check at an iter_next loop back-edge).
func (v *verifier) iterActiveAt(st *state) bool {
	r := &st.cur().regs[1]
	if r.typ != PtrToStack || !r.vo.isConst() || int(r.frame) >= len(st.frames) {
		return false
	}
	spi := (-(int(r.off) + int(r.vo.value)) - 1) / 8
	f := st.frames[r.frame]
	return spi >= 0 && spi < len(f.stack) && f.stack[spi].isIter() && f.stack[spi].iter.state == iterActive
}

var errIterRange = errors.New("iterator slots beyond the allocated stack")

// iterSPI is iter_get_spi: the first slot of the iterator r points to.
// errIterRange: the slots are not allocated yet; *Error: a message the
// kernel prints before its own.
func (v *verifier) iterSPI(idx int, r *reg, it *IterKfunc) (int, error) {
	if !r.vo.isConst() {
		return 0, v.errf(idx, "iter has to be at a constant offset")
	}
	off := int(r.off) + int(r.vo.value)
	nr := it.Size / 8
	if off%8 != 0 {
		return 0, v.errf(idx, "cannot pass in iter at an offset=%d", off)
	}
	spi := (-off - 1) / 8
	if spi+1 < nr {
		return 0, v.errf(idx, "cannot pass in iter at an offset=%d", off)
	}
	if f := v.cur.frames[r.frame]; spi >= len(f.stack) || spi-nr+1 < 0 {
		return 0, errIterRange
	}
	return spi, nil
}

// iterArgError is the kernel's message for an iterator argument that is
// not what the kfunc expects, after the message iterSPI printed, if any.
func (v *verifier) iterArgError(idx int, err error, msg string) error {
	if e, ok := err.(*Error); ok {
		msg = e.Msg + "\n" + msg
	}
	return v.errf(idx, "%s", msg)
}

// checkIterCall is check_kfunc_call for an iterator kfunc: the iterator
// argument (process_iter_arg), the scalars, r0, and for _next the fork
// of process_iter_next_call.
func (v *verifier) checkIterCall(idx int, p *HelperProto) (int, bool, error) {
	spi, err := v.iterArg(idx, p.Iter)
	if err != nil {
		return 0, false, err
	}
	for a := 1; a < 5; a++ {
		if p.Args[a] == ArgNone {
			break
		}
		if err := v.checkKfuncArg(idx, p, a); err != nil {
			return 0, false, err
		}
	}
	fi := int(v.regs()[1].frame)
	meta := callMeta{releaseReg: -1}
	v.setHelperResult(idx, p, &meta)
	if p.Iter.Role == IterNext {
		// r0 points into the iterator: read-only, and gone with it.
		r0 := &v.regs()[0]
		r0.flags |= ReadOnly
		r0.refID = v.cur.frames[fi].stack[spi].iter.ref
		v.iterNext(idx, fi, spi)
	}
	return idx + 1, false, nil
}

// iterArg checks arg #0 of an iterator kfunc and applies _new and
// _destroy to the stack; it returns the iterator's first slot.
func (v *verifier) iterArg(idx int, it *IterKfunc) (int, error) {
	r := &v.regs()[1]
	if r.typ != PtrToStack {
		return 0, v.errf(idx, "arg#0 expected pointer to an iterator on stack")
	}
	fi := int(r.frame)
	if it.Role == IterNew {
		return v.iterNew(idx, r, it)
	}
	bad := fmt.Sprintf("expected an initialized iter_%s as arg #0", it.Type)
	spi, err := v.iterSPI(idx, r, it)
	if err != nil {
		return 0, v.iterArgError(idx, err, bad)
	}
	f := v.cur.frames[fi]
	for i := 0; i < it.Size/8; i++ {
		s := &f.stack[spi-i]
		if !s.isIter() || s.iter.typ != it.Type || (i == 0) != (s.iter.ref != 0) {
			return 0, v.errf(idx, "%s", bad)
		}
	}
	for i := 0; i < it.Size/8; i++ {
		v.markStackRead(fi, spi-i)
	}
	if it.Role == IterDestroy {
		ref := f.stack[spi].iter.ref
		v.cur.releaseRef(ref)
		v.invalidateRef(ref)
		for i := 0; i < it.Size/8; i++ {
			f.stack[spi-i] = slot{}
			v.scratchStack |= 1 << uint((spi-i)&63)
		}
	}
	return spi, nil
}

// iterNew checks that the iterator's slots hold no iterator, writes them
// (as the kernel's 8-byte stores do: stack growth, liveness) and marks
// them as an active iterator holding a new reference.
func (v *verifier) iterNew(idx int, r *reg, it *IterKfunc) (int, error) {
	bad := fmt.Sprintf("expected uninitialized iter_%s as arg #0", it.Type)
	spi, err := v.iterSPI(idx, r, it)
	switch {
	case err == errIterRange:
	case err != nil:
		return 0, v.iterArgError(idx, err, bad)
	default:
		f := v.cur.frames[r.frame]
		for i := 0; i < it.Size/8; i++ {
			for _, k := range f.stack[spi-i].kinds {
				if k == stackIter {
					return 0, v.errf(idx, "%s", bad)
				}
			}
		}
	}
	for off := 0; off < it.Size; off += 8 {
		if err := v.checkMemAccess(idx, 1, off, 8, accWrite, -1, false, false, nil); err != nil {
			return 0, err
		}
	}
	r = &v.regs()[1]
	f := v.cur.frames[r.frame]
	spi = (-(int(r.off) + int(r.vo.value)) - 1) / 8
	ref := v.newID()
	v.cur.refs = append(v.cur.refs, refState{id: ref, insn: idx})
	for i := 0; i < it.Size/8; i++ {
		s := &f.stack[spi-i]
		*s = slot{}
		for k := range s.kinds {
			s.kinds[k] = stackIter
		}
		s.iter = iterSlot{typ: it.Type, state: iterActive}
		if i == 0 {
			s.iter.ref = ref
		}
	}
	return spi, nil
}

// iterNext is process_iter_next_call: an active iterator forks a queued
// path where _next returned a pointer (depth + 1); the current path sees
// NULL and the iterator drained.
func (v *verifier) iterNext(idx, fi, spi int) {
	s := &v.cur.frames[fi].stack[spi]
	if s.iter.state == iterActive {
		prev := v.prevLoopEntry(idx, true)
		q := v.push(idx+1, idx)
		q.frames[fi].stack[spi].iter.depth++
		if prev != nil && v.priv {
			widenImprecise(prev, q)
		}
		q.cur().regs[0].flags &^= MaybeNull
	}
	s.iter.state = iterDrained
	v.regs()[0] = reg{}
	v.regs()[0].setConstScalar(0)
}
