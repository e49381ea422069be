package verifier

import (
	"github.com/ebpfvm/ebpfvm/isa"
)

type callMeta struct {
	m           *Map
	memSize     int64
	releaseReg  int
	refID       uint32
	subprog     int32
	rawRegs     []rawArg
	constMapSet bool
}

type rawArg struct {
	regno int
	size  int64
}

func (v *verifier) checkCall(idx int, in isa.Instruction) (int, bool, error) {
	if in.Opcode.Source() == isa.SourceX {
		return 0, false, v.errf(idx, "unknown opcode %02x", uint8(in.Opcode))
	}
	switch uint8(in.Src) {
	case isa.CallLocal:
		return v.checkLocalCall(idx, in)
	case isa.CallHelper:
		return v.checkHelperCall(idx, in)
	}
	return v.checkKfuncCall(idx, in)
}

// checkLocalCall enters a bpf-to-bpf call: a new frame with r1-r5.
func (v *verifier) checkLocalCall(idx int, in isa.Instruction) (int, bool, error) {
	if sp := v.insnSubprog[idx+1+int(in.Imm)]; v.globalFunc(sp) != nil {
		return v.checkGlobalCall(idx, sp, v.globalFunc(sp))
	}
	st := v.cur
	if len(st.frames) >= maxCallFrames {
		return 0, false, v.errf(idx, "the call stack of %d frames is too deep", len(st.frames)+1)
	}
	if st.lockID != 0 {
		return 0, false, v.errf(idx, "function calls are not allowed while holding a lock")
	}
	target := idx + 1 + int(in.Imm)
	sp := v.insnSubprog[target]
	caller := st.cur()
	callee := &funcState{callsite: idx, subprog: sp, frameno: len(st.frames)}
	for i := range callee.regs {
		callee.regs[i] = reg{typ: NotInit}
	}
	for i := 1; i <= 5; i++ {
		callee.regs[i] = caller.regs[i]
	}
	callee.regs[regFP] = reg{typ: PtrToStack}
	callee.regs[regFP].markKnown(0)
	callee.regs[regFP].typ = PtrToStack
	callee.regs[regFP].frame = uint8(len(st.frames))
	v.addCallEdge(v.insnSubprog[idx], sp)
	// The caller's r0-r5 are clobbered when the callee returns.
	st.frames = append(st.frames, callee)
	if v.logLevel > 0 {
		v.log.printf("caller:\n")
		v.printStateLine(caller)
		v.log.printf("callee:\n")
		v.printStateLine(callee)
	}
	return target, false, nil
}

func (v *verifier) addCallEdge(from, to int) {
	for _, c := range v.subprogs[from].calls {
		if c == to {
			return
		}
	}
	v.subprogs[from].calls = append(v.subprogs[from].calls, to)
}

// returnFromCall is prepare_func_exit.
func (v *verifier) returnFromCall(idx int) (int, error) {
	st := v.cur
	callee := st.cur()
	caller := st.frames[len(st.frames)-2]
	r0 := callee.regs[0]
	if callee.callback {
		if r0.typ == NotInit {
			return 0, v.errf(idx, "R0 !read_ok")
		}
		if r0.typ != Scalar {
			return 0, v.errf(idx, "R0 not a scalar value")
		}
		v.markPrecise(0)
		if r0.smin < callee.cbRetMin || r0.smax > callee.cbRetMax {
			return 0, v.errf(idx, "%s", invalidScalarMsg("At callback return", &r0, callee.cbRetMin, callee.cbRetMax))
		}
	} else {
		if r0.typ == PtrToStack && int(r0.frame) == len(st.frames)-1 {
			return 0, v.errf(idx, "cannot return stack pointer to the caller")
		}
	}
	st.frames = st.frames[:len(st.frames)-1]
	if v.logLevel > 0 {
		v.log.printf("returning from callee:\n")
		v.printStateLine(callee)
		v.log.printf("to caller at %d:\n", callee.callsite+1)
	}
	if callee.callback {
		// Back to the helper call: another iteration may follow, or the
		// helper returns (callbackHelper). Scalars that changed since
		// the previous visit of the call and that nothing needed
		// precise become unknown, so that the iterations converge.
		if prev := v.prevLoopEntry(callee.cbHelperIdx, false); prev != nil && v.priv {
			widenImprecise(prev, st)
		}
		return callee.cbHelperIdx, nil
	}
	caller.regs[0] = r0
	for i := 1; i <= 5; i++ {
		caller.regs[i] = reg{typ: NotInit}
	}
	if v.logLevel > 0 {
		v.printStateLine(caller)
	}
	return callee.callsite + 1, nil
}

// compatible register types per argument kind, in the kernel's order, for
// the "expected=" list of type mismatch errors.
var memTypes = []string{"fp", "pkt", "pkt_meta", "map_key", "map_value", "mem", "ringbuf_mem", "buf", "trusted_ptr_"}

func argTypeOK(a ArgKind, r *reg) (bool, []string) {
	base := a.Base()
	t := r.typ
	f := r.flags
	if a&ArgReadOnly != 0 {
		f &^= ReadOnly
	}
	if a&ArgOrNull != 0 {
		f &^= MaybeNull
	}
	switch base {
	case ArgPtrToMapKey, ArgPtrToMapValue, ArgPtrToMem:
		ok := f&MaybeNull == 0 && f&ReadOnly == 0
		switch t {
		case PtrToStack, PtrToPacket, PtrToPacketMeta, PtrToMapKey, PtrToMapValue:
			return ok && f == 0, memTypes
		case PtrToMem:
			return ok, memTypes
		}
		return false, memTypes
	case ArgConstSize, ArgConstSizeOrZero, ArgConstAllocSizeOrZero:
		return t == Scalar, []string{"scalar"}
	case ArgConstMapPtr:
		return t == ConstPtrToMap, []string{"map_ptr"}
	case ArgPtrToCtx:
		return t == PtrToCtx && f == 0, []string{"ctx"}
	case ArgPtrToSpinLock:
		return t == PtrToMapValue && f == 0, []string{"map_value", "ptr_"}
	case ArgPtrToRingbufMem:
		return t == PtrToMem && f == Ringbuf, []string{"ringbuf_mem"}
	case ArgPtrToFunc:
		return t == PtrToFunc, []string{"func"}
	case ArgPtrToStack:
		return t == PtrToStack && f == 0, []string{"fp"}
	case ArgPtrToConstStr:
		return t == PtrToMapValue && f == 0, []string{"map_value"}
	}
	return false, nil
}

func joinTypes(l []string) string {
	s := ""
	for i, t := range l {
		if i > 0 {
			s += ", "
		}
		s += t
	}
	return s
}

// checkHelperCall is check_helper_call.
func (v *verifier) checkHelperCall(idx int, in isa.Instruction) (int, bool, error) {
	id := in.Imm
	name, known := isa.HelperName(id)
	var p *HelperProto
	if v.pt.Helpers != nil {
		p = v.pt.Helpers.Helper(id)
	}
	if !known {
		// Embedders' helpers may have IDs the kernel does not.
		if p == nil {
			return 0, false, v.errf(idx, "invalid func unknown#%d", id)
		}
		name = p.Name
	}
	if p != nil && p.Privileged && !v.priv {
		p = nil
	}
	if p == nil {
		return 0, false, v.errf(idx, "program of this type cannot use helper %s#%d", name, id)
	}
	if p.GPLOnly && !v.opts.GPL {
		return 0, false, v.errf(idx, "cannot call GPL-restricted function from non-GPL compatible program")
	}
	meta := callMeta{releaseReg: -1}
	for a := 0; a < 5; a++ {
		if err := v.checkHelperArg(idx, p, a, &meta); err != nil {
			return 0, false, err
		}
	}
	if err := v.checkMapFuncCompat(idx, meta.m, id, name); err != nil {
		return 0, false, err
	}
	if err := v.callArgEffects(idx, &meta); err != nil {
		return 0, false, err
	}
	st := v.cur
	regs := v.regs()
	switch id {
	case FuncSpinLock:
		if st.lockID != 0 {
			return 0, false, v.errf(idx, "Locking two bpf_spin_locks are not allowed")
		}
		st.lockID = v.newID()
		st.lockMap = regs[1].m
	case FuncSpinUnlock:
		if st.lockID == 0 {
			return 0, false, v.errf(idx, "bpf_spin_unlock without taking a lock")
		}
		if st.lockMap != regs[1].m {
			return 0, false, v.errf(idx, "bpf_spin_unlock of different lock")
		}
		st.lockID = 0
		st.lockMap = nil
	case FuncTailCall:
		if st.lockID != 0 {
			return 0, false, v.errf(idx, "function calls are not allowed while holding a lock")
		}
		if len(st.refs) > 0 {
			r := st.refs[0]
			return 0, false, v.errf(idx, "Unreleased reference id=%d alloc_insn=%d\ntail_call would lead to reference leak", r.id, r.insn)
		}
		v.subprogs[v.insnSubprog[idx]].tailCall = true
		if m := regs[2].m; m != nil && regs[3].isConst() && regs[3].vo.value < uint64(m.MaxEntries) {
			v.markPrecise(3) // record_func_key
		}
	default:
		if st.lockID != 0 {
			return 0, false, v.errf(idx, "function calls are not allowed while holding a lock")
		}
	}
	if id == FuncLoop {
		v.noteLoopCall(idx, &regs[4], int(meta.subprog))
		// The iteration count and a zero flags argument are relied on.
		v.markPrecise(1)
		if r4 := &regs[4]; r4.typ == Scalar && r4.vo.equalsConst(0) {
			v.markPrecise(4)
		}
	}
	// Callbacks: explore the callback, then come back here.
	if id == FuncLoop || id == FuncForEachMapElem {
		return v.callbackHelper(idx, id, &meta)
	}
	nonNull := false
	if id == FuncMapLookupElem && meta.m != nil && (meta.m.Type == MapArray || meta.m.Type == MapPerCPUArray) {
		if k, ok := v.constKey(&regs[2], int(meta.m.KeySize)); ok && k < uint64(meta.m.MaxEntries) {
			nonNull = true
		}
	}
	v.setHelperResult(idx, p, &meta)
	if nonNull {
		regs[0].flags &^= MaybeNull
		regs[0].id = 0
	}
	return idx + 1, false, nil
}

// callArgEffects applies what a helper or kfunc call does to its checked
// arguments: the memory it writes is initialized, the reference it
// releases is gone.
func (v *verifier) callArgEffects(idx int, meta *callMeta) error {
	for _, ra := range meta.rawRegs {
		if err := v.checkHelperMem(idx, ra.regno, ra.size, true, false, true); err != nil {
			return err
		}
	}
	if meta.releaseReg >= 0 {
		r := &v.regs()[meta.releaseReg]
		if r.refID == 0 {
			if !(r.typ == Scalar && r.vo.equalsConst(0)) {
				return v.errf(idx, "R%d must be referenced when passed to release function", meta.releaseReg)
			}
		} else {
			ref := r.refID
			if !v.cur.releaseRef(ref) {
				return v.errf(idx, "verifier internal error: reference has not been acquired before")
			}
			v.invalidateRef(ref)
		}
	}
	return nil
}

// constKey reads a constant map key from the stack, as the kernel does to
// know that an array lookup cannot fail.
func (v *verifier) constKey(r *reg, size int) (uint64, bool) {
	if r.typ != PtrToStack || !r.vo.isConst() || size != 4 {
		return 0, false
	}
	f := v.cur.frames[r.frame]
	off := int(r.off) + int(r.vo.value)
	if off%8 != 0 && off%8 != -4 {
		return 0, false
	}
	spi := (-off - 1) / 8
	if spi >= len(f.stack) {
		return 0, false
	}
	s := &f.stack[spi]
	v.markStackRead(int(r.frame), spi)
	zeros := true
	for i := 0; i < size; i++ {
		if f.byteKind(off+i) != stackZero {
			zeros = false
		}
	}
	if zeros {
		return 0, true
	}
	if s.isSpill() && s.spill.typ == Scalar && s.spill.vo.isConst() && off%8 == 0 {
		// The lookup's result depends on this value.
		v.markPreciseSlot(int(r.frame), spi)
		return s.spill.vo.value & 0xffffffff, true
	}
	return 0, false
}

func (v *verifier) setHelperResult(idx int, p *HelperProto, meta *callMeta) {
	regs := v.regs()
	for i := 1; i <= 5; i++ {
		regs[i] = reg{typ: NotInit}
	}
	r0 := &regs[0]
	switch p.Ret {
	case RetInteger:
		r0.setUnknownScalar()
		if p == kernelProtos[FuncGetSmpProcessorID] {
			r0.umax = 1<<32 - 1
			r0.sync()
		}
	case RetVoid:
		*r0 = reg{typ: NotInit}
	case RetPtrToMapValueOrNull:
		*r0 = reg{typ: PtrToMapValue, flags: MaybeNull, m: meta.m}
		r0.markKnown(0)
		r0.typ = PtrToMapValue
		r0.id = v.newID()
	case RetPtrToRingbufMemOrNull:
		*r0 = reg{typ: PtrToMem, flags: MaybeNull | Ringbuf, memSize: uint32(meta.memSize)}
		r0.markKnown(0)
		r0.typ = PtrToMem
		r0.id = v.newID()
		r0.refID = v.newID()
		v.cur.refs = append(v.cur.refs, refState{id: r0.refID, insn: idx})
	case RetPtrToMemOrNull:
		*r0 = reg{typ: PtrToMem, flags: MaybeNull, memSize: p.RetSize}
		r0.markKnown(0)
		r0.typ = PtrToMem
		r0.id = v.newID()
	}
	v.scratchRegs |= 0x3f
	if p.ChangesPacketData {
		v.clearPktPointers()
	}
}

// invalidateRef kills every copy of a released reference.
func (v *verifier) invalidateRef(ref uint32) {
	for _, f := range v.cur.frames {
		for i := range f.regs {
			if f.regs[i].refID == ref {
				v.invalidReg(&f.regs[i])
			}
		}
		for i := range f.stack {
			s := &f.stack[i]
			if s.isSpill() && s.spill.refID == ref {
				v.invalidReg(&s.spill)
			}
		}
	}
}

func (v *verifier) invalidReg(r *reg) {
	if v.priv {
		r.setUnknownScalar()
	} else {
		*r = reg{typ: NotInit}
	}
}

func (v *verifier) clearPktPointers() {
	for _, f := range v.cur.frames {
		for i := range f.regs {
			if isPktAny(&f.regs[i]) {
				v.invalidReg(&f.regs[i])
			}
		}
		for i := range f.stack {
			s := &f.stack[i]
			if s.isSpill() && isPktAny(&s.spill) {
				v.invalidReg(&s.spill)
			}
		}
	}
}

// checkHelperArg is check_func_arg.
func (v *verifier) checkHelperArg(idx int, p *HelperProto, a int, meta *callMeta) error {
	kind := p.Args[a]
	regno := a + 1
	if kind == ArgNone {
		return nil
	}
	if err := v.checkRegRead(idx, isa.Register(regno)); err != nil {
		return err
	}
	r := &v.regs()[regno]
	base := kind.Base()
	if base == ArgAnything {
		if v.isPointerLeak(r) {
			return v.errf(idx, "R%d leaks addr into helper function", regno)
		}
		return nil
	}
	if r.isPkt() && !p.PacketAccess {
		return v.errf(idx, "helper access to the packet is not allowed")
	}
	isNull := r.typ == Scalar && r.vo.equalsConst(0)
	if isNull && kind&ArgOrNull != 0 {
		// NULL is accepted because the value is exactly zero.
		v.markPrecise(regno)
	}
	if !(isNull && kind&ArgOrNull != 0) {
		if ok, exp := argTypeOK(kind, r); !ok {
			if base == ArgPtrToMem && r.isNullable() && kind&ArgOrNull == 0 {
				// fallthrough to the type message as the kernel does
			}
			return v.errf(idx, "R%d type=%s expected=%s", regno, r.typeName(), joinTypes(exp))
		}
		// Offsets of pointer arguments.
		switch r.typ {
		case PtrToCtx:
			if err := v.checkPtrOffReg(idx, r, regno, false); err != nil {
				return err
			}
		case PtrToMem:
			if kind&ArgRelease != 0 && r.off != 0 {
				return v.errf(idx, "R%d must have zero offset when passed to release func or trusted arg to kfunc", regno)
			}
		}
	}
	if kind&ArgRelease != 0 {
		if r.refID == 0 && !isNull {
			return v.errf(idx, "R%d must be referenced when passed to release function", regno)
		}
		meta.releaseReg = regno
	}
	switch base {
	case ArgConstMapPtr:
		meta.m = r.m
	case ArgPtrToMapKey:
		if meta.m == nil {
			return v.errf(idx, "invalid map_ptr to access map->key")
		}
		return v.checkHelperMem(idx, regno, int64(meta.m.KeySize), false, false, false)
	case ArgPtrToMapValue:
		if isNull && kind&ArgOrNull != 0 {
			return nil
		}
		if meta.m == nil {
			return v.errf(idx, "invalid map_ptr to access map->value")
		}
		if kind&ArgUninit != 0 {
			meta.rawRegs = append(meta.rawRegs, rawArg{regno, int64(meta.m.ValueSize)})
			return v.checkHelperMem(idx, regno, int64(meta.m.ValueSize), true, false, true)
		}
		return v.checkHelperMem(idx, regno, int64(meta.m.ValueSize), false, false, false)
	case ArgPtrToMem:
		if kind&ArgFixedSize != 0 {
			size := int64(p.ArgSize[a])
			if kind&ArgUninit != 0 {
				if err := v.checkHelperMem(idx, regno, size, true, false, true); err != nil {
					return err
				}
			} else if err := v.checkHelperMem(idx, regno, size, false, false, false); err != nil {
				return err
			}
			if kind&ArgAligned != 0 {
				if err := v.checkAlignment(idx, r, 0, int(size), true); err != nil {
					return err
				}
			}
		}
	case ArgConstSize, ArgConstSizeOrZero:
		prev := p.Args[a-1]
		zeroOK := base == ArgConstSizeOrZero
		if r.smin < 0 {
			return v.errf(idx, "R%d min value is negative, either use unsigned or 'var &= const'", regno)
		}
		if r.umin == 0 && !zeroOK {
			return v.errf(idx, "R%d invalid zero-sized read: u64=[%d,%d]", regno, int64(r.umin), int64(r.umax))
		}
		if r.umax >= maxVarOff {
			return v.errf(idx, "R%d unbounded memory access, use 'var &= const' or 'if (var < const)'", regno)
		}
		// The size's bounds decide what the helper may touch.
		v.markPrecise(regno)
		prevReg := &v.regs()[regno-1]
		if prevReg.typ == Scalar && prevReg.vo.equalsConst(0) && prev&ArgOrNull != 0 {
			if r.umax != 0 {
				// A NULL buffer with a non-zero size.
				return v.errf(idx, "R%d type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_", regno-1)
			}
			return nil
		}
		raw := prev&ArgUninit != 0 && r.vo.isConst()
		write := prev&ArgUninit != 0
		if err := v.checkHelperMem(idx, regno-1, int64(r.umax), write, zeroOK, raw); err != nil {
			return err
		}
		meta.memSize = int64(r.umax)
	case ArgConstAllocSizeOrZero:
		if !r.vo.isConst() {
			return v.errf(idx, "R%d is not a known constant'", regno)
		}
		meta.memSize = int64(r.vo.value)
		v.markPrecise(regno)
	case ArgPtrToSpinLock:
		if !r.vo.isConst() {
			return v.errf(idx, "R%d doesn't have constant offset. bpf_spin_lock has to be at the constant offset", regno)
		}
		if r.m == nil || !r.m.SpinLock {
			name := ""
			if r.m != nil {
				name = r.m.Name
			}
			return v.errf(idx, "map '%s' has no valid bpf_spin_lock", name)
		}
		if int64(r.off)+int64(r.vo.value) != int64(r.m.SpinLockOff) {
			return v.errf(idx, "off %d doesn't point to 'struct bpf_spin_lock' that is at %d", int64(r.off)+int64(r.vo.value), r.m.SpinLockOff)
		}
		meta.m = r.m
	case ArgPtrToFunc:
		meta.subprog = r.subprog
	case ArgPtrToConstStr:
		if r.m == nil || r.m.Flags&MapFlagRdonlyProg == 0 {
			return v.errf(idx, "R%d does not point to a readonly map'", regno)
		}
		if !r.vo.isConst() {
			return v.errf(idx, "R%d is not a constant address'", regno)
		}
	}
	return nil
}

// checkMapFuncCompat is check_map_func_compatibility.
func (v *verifier) checkMapFuncCompat(idx int, m *Map, id int32, name string) error {
	if m == nil {
		return nil
	}
	bad := false
	switch m.Type {
	case MapProgArray:
		bad = id != FuncTailCall
	case MapPerfEventArray:
		bad = id != FuncPerfEventOutput && id != 22 && id != 55 && id != 111 && id != 121
	case MapRingbuf:
		bad = id != FuncRingbufOutput && id != FuncRingbufReserve && id != FuncRingbufQuery && id != 198
	case MapQueue, MapStack:
		bad = id != FuncMapPeekElem && id != FuncMapPopElem && id != FuncMapPushElem
	case MapBloomFilter:
		bad = id != FuncMapPeekElem && id != FuncMapPushElem
	case MapDevmap, MapDevmapHash, MapCPUMap, MapXSKMap:
		bad = id != FuncRedirectMap && id != FuncMapLookupElem
	}
	if !bad {
		switch id {
		case FuncTailCall:
			bad = m.Type != MapProgArray
		case FuncPerfEventOutput:
			bad = m.Type != MapPerfEventArray
		case FuncRingbufOutput, FuncRingbufReserve, FuncRingbufQuery:
			bad = m.Type != MapRingbuf
		case FuncMapPeekElem, FuncMapPushElem:
			bad = m.Type != MapQueue && m.Type != MapStack && m.Type != MapBloomFilter
		case FuncMapPopElem:
			bad = m.Type != MapQueue && m.Type != MapStack
		case FuncRedirectMap:
			bad = m.Type != MapDevmap && m.Type != MapDevmapHash && m.Type != MapCPUMap && m.Type != MapXSKMap
		case FuncForEachMapElem:
			bad = m.Type != MapHash && m.Type != MapLRUHash && m.Type != MapArray && m.Type != MapPerCPUArray &&
				m.Type != MapPerCPUHash && m.Type != MapLRUPerCPUHash
		}
	}
	if bad && id == FuncTailCall {
		return v.errf(idx, "expected prog array map for tail call")
	}
	if bad {
		return v.errf(idx, "cannot pass map_type %d into func %s#%d", uint32(m.Type), name, id)
	}
	return nil
}

// callbackHelper explores a bpf_loop or bpf_for_each_map_elem callback
// as the kernel's push_callback_call does: the current path continues
// after the call (the helper returns, after zero or more iterations), and
// a queued path runs the callback once more. The callback's exit goes
// back to the helper call (returnFromCall), whose next visit queues one
// more iteration; pruning at the call, helped by the widening of
// imprecise scalars at the callback's exit, ends the iteration once the
// states repeat. bpf_loop stops queuing iterations once it has unrolled
// as many as its count allows (callback_depth, the kernel's iteration
// limit).
func (v *verifier) callbackHelper(idx int, id int32, meta *callMeta) (int, bool, error) {
	st := v.cur
	caller := st.cur()
	if len(st.frames) >= maxCallFrames {
		return 0, false, v.errf(idx, "the call stack of %d frames is too deep", len(st.frames)+1)
	}
	sp := int(meta.subprog)
	v.addCallEdge(v.insnSubprog[idx], sp)
	iterate := true
	if id == FuncLoop {
		if r1 := &caller.regs[1]; uint64(caller.callbackDepth) >= r1.umax {
			iterate = false
			if v.logLevel >= 2 {
				v.log.printf("frame%d bpf_loop iteration limit reached\n", len(st.frames)-1)
			}
		}
	}
	if iterate {
		cb := v.push(v.subprogs[sp].start, idx)
		v.enterCallback(cb, idx, sp, id, meta.m)
	}
	// The helper returns.
	caller.callbackDepth = 0
	for i := 1; i <= 5; i++ {
		caller.regs[i] = reg{typ: NotInit}
	}
	caller.regs[0].setUnknownScalar()
	v.scratchRegs |= 0x3f
	return idx + 1, false, nil
}

// enterCallback adds the callback's frame to st, a copy of the state at
// the helper call (set_loop_callback_state, map_set_for_each_callback_args):
// the caller's registers stay as they were at the call, for the next
// visit of the call.
func (v *verifier) enterCallback(st *state, idx, sp int, id int32, m *Map) {
	caller := st.cur()
	regs := &caller.regs
	callee := &funcState{callsite: idx, subprog: sp, frameno: len(st.frames), callback: true, cbRetMin: 0, cbRetMax: 1, cbHelperIdx: idx}
	for i := range callee.regs {
		callee.regs[i] = reg{typ: NotInit}
	}
	switch id {
	case FuncLoop:
		// callback_fn(u64 index, void *ctx): the kernel gives the
		// index no bounds.
		callee.regs[1].setUnknownScalar()
		callee.regs[2] = regs[3]
	case FuncForEachMapElem:
		callee.regs[1] = reg{typ: ConstPtrToMap, m: m}
		callee.regs[1].markKnown(0)
		callee.regs[1].typ = ConstPtrToMap
		callee.regs[2] = reg{typ: PtrToMapKey, m: m}
		callee.regs[2].markKnown(0)
		callee.regs[2].typ = PtrToMapKey
		callee.regs[3] = reg{typ: PtrToMapValue, m: m}
		callee.regs[3].markKnown(0)
		callee.regs[3].typ = PtrToMapValue
		callee.regs[4] = regs[3]
	}
	callee.regs[regFP] = reg{typ: PtrToStack}
	callee.regs[regFP].markKnown(0)
	callee.regs[regFP].typ = PtrToStack
	callee.regs[regFP].frame = uint8(len(st.frames))
	caller.callbackDepth++
	st.frames = append(st.frames, callee)
	st.cbUnrollDepth++
}
