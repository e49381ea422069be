package verifier

import (
	"github.com/ebpfvm/ebpfvm/isa"
)

type accessKind uint8

const (
	accRead accessKind = iota
	accWrite
)

// checkLoad is BPF_LDX.
func (v *verifier) checkLoad(idx int, in isa.Instruction) error {
	if err := v.checkRegRead(idx, in.Src); err != nil {
		return err
	}
	if err := v.checkRegWrite(idx, in.Dst); err != nil {
		return err
	}
	size := isa.SizeBytes(in.Opcode.Size())
	return v.checkMemAccess(idx, int(in.Src), int(in.Offset), size, accRead, int(in.Dst), false, in.Opcode.Mode() == isa.ModeMEMSX, nil)
}

// checkStore is BPF_STX and BPF_ST.
func (v *verifier) checkStore(idx int, in isa.Instruction) error {
	valueReg := -1
	var imm *int32
	if in.Opcode.Class() == isa.ClassSTX {
		if err := v.checkRegRead(idx, in.Src); err != nil {
			return err
		}
		valueReg = int(in.Src)
	} else {
		imm = &in.Imm
	}
	if err := v.checkRegRead(idx, in.Dst); err != nil {
		return err
	}
	size := isa.SizeBytes(in.Opcode.Size())
	return v.checkMemAccess(idx, int(in.Dst), int(in.Offset), size, accWrite, valueReg, false, false, imm)
}

// checkAtomic is check_atomic.
func (v *verifier) checkAtomic(idx int, in isa.Instruction) error {
	size := isa.SizeBytes(in.Opcode.Size())
	switch in.Imm {
	case isa.AtomicLoadAcq:
		// r = load_acquire(src + off)
		if err := v.checkRegRead(idx, in.Src); err != nil {
			return err
		}
		if err := v.checkRegWrite(idx, in.Dst); err != nil {
			return err
		}
		if err := v.checkAtomicPtr(idx, in, int(in.Src), size); err != nil {
			return err
		}
		return v.checkMemAccess(idx, int(in.Src), int(in.Offset), size, accRead, int(in.Dst), true, false, nil)
	case isa.AtomicStoreRel:
		if err := v.checkRegRead(idx, in.Src); err != nil {
			return err
		}
		if err := v.checkRegRead(idx, in.Dst); err != nil {
			return err
		}
		if err := v.checkAtomicPtr(idx, in, int(in.Dst), size); err != nil {
			return err
		}
		return v.checkMemAccess(idx, int(in.Dst), int(in.Offset), size, accWrite, int(in.Src), true, false, nil)
	}
	if size != 4 && size != 8 {
		return v.errf(idx, "invalid atomic operand size")
	}
	if err := v.checkRegRead(idx, in.Src); err != nil {
		return err
	}
	if err := v.checkRegRead(idx, in.Dst); err != nil {
		return err
	}
	regs := v.regs()
	auxReg := -1
	if in.Imm == isa.AtomicCmpXchg {
		if err := v.checkRegRead(idx, 0); err != nil {
			return err
		}
		auxReg = 0
		if v.isPointerLeak(&regs[0]) {
			return v.errf(idx, "R0 leaks addr into mem")
		}
	}
	if v.isPointerLeak(&regs[in.Src]) {
		return v.errf(idx, "R%d leaks addr into mem", in.Src)
	}
	if err := v.checkAtomicPtr(idx, in, int(in.Dst), size); err != nil {
		return err
	}
	loadReg := -1
	if in.Imm&isa.AtomicFetch != 0 {
		loadReg = int(in.Src)
		if in.Imm == isa.AtomicCmpXchg {
			loadReg = 0
		}
		if loadReg == regFP {
			return v.errf(idx, "frame pointer is read only")
		}
	}
	_ = auxReg
	// The read part: if the location holds a spilled pointer the fetch
	// would load a pointer as a scalar. Through a map pointer the kernel
	// reads the map's struct (BTF) and refuses the write part.
	if d := &regs[in.Dst]; d.typ != ConstPtrToMap || d.m == nil || mapStructName(d.m.Type) == "" {
		if err := v.checkMemAccess(idx, int(in.Dst), int(in.Offset), size, accRead, loadReg, true, false, nil); err != nil {
			return err
		}
	}
	if loadReg >= 0 && v.regs()[loadReg].typ != Scalar {
		// An atomic fetch returns the memory's old value as a number.
		v.regs()[loadReg].setUnknownScalar()
	}
	if err := v.checkMemAccess(idx, int(in.Dst), int(in.Offset), size, accWrite, -1, true, false, nil); err != nil {
		return err
	}
	if loadReg >= 0 {
		v.scratchRegs |= 1 << loadReg
	}
	return nil
}

func (v *verifier) checkAtomicPtr(idx int, in isa.Instruction, r, size int) error {
	p := &v.regs()[r]
	switch p.typ {
	case PtrToCtx, PtrToPacket, PtrToPacketMeta, PtrToPacketEnd:
		return v.errf(idx, "BPF_ATOMIC stores into R%d %s is not allowed", r, p.typeName())
	}
	return nil
}

// checkMemAccess is check_mem_access. valueReg is the register loaded
// into (reads) or stored (writes), -1 for none; imm is the value of a
// BPF_ST.
func (v *verifier) checkMemAccess(idx, regno, off, size int, t accessKind, valueReg int, strictAlign, signExt bool, imm *int32) error {
	regs := v.regs()
	r := &regs[regno]
	if err := v.checkAlignment(idx, r, off, size, strictAlign); err != nil {
		return err
	}
	off += int(r.off)
	var val *reg
	if t == accWrite && valueReg >= 0 {
		val = &regs[valueReg]
	}
	loaded := false
	switch {
	case r.typ == PtrToMapKey && r.flags&MaybeNull == 0:
		if t == accWrite {
			return v.errf(idx, "write to change key R%d not allowed", regno)
		}
		if err := v.checkRegionAccess(idx, regno, off, size, int(r.m.KeySize), false); err != nil {
			return err
		}
		if valueReg >= 0 {
			regs[valueReg].setUnknownScalar()
		}
		loaded = true
	case r.typ == PtrToMapValue && r.flags&MaybeNull == 0:
		if val != nil && v.isPointerLeak(val) {
			return v.errf(idx, "R%d leaks addr into map", valueReg)
		}
		if err := v.checkMapAccessType(idx, regno, off, size, t); err != nil {
			return err
		}
		if err := v.checkMapAccess(idx, regno, off, size, false); err != nil {
			return err
		}
		if t == accRead && valueReg >= 0 {
			regs[valueReg].setUnknownScalar()
			loaded = true
		}
	case r.typ == PtrToMem:
		if r.flags&MaybeNull != 0 {
			return v.errf(idx, "R%d invalid mem access '%s'", regno, r.typeName())
		}
		if t == accWrite && r.flags&ReadOnly != 0 {
			return v.errf(idx, "R%d cannot write into %s", regno, r.typeName())
		}
		if val != nil && v.isPointerLeak(val) {
			return v.errf(idx, "R%d leaks addr into mem", valueReg)
		}
		if err := v.checkRegionAccess(idx, regno, off, size, int(r.memSize), false); err != nil {
			return err
		}
		if t == accRead && valueReg >= 0 {
			regs[valueReg].setUnknownScalar()
			loaded = true
		}
	case r.typ == PtrToCtx:
		if val != nil && v.isPointerLeak(val) {
			return v.errf(idx, "R%d leaks addr into ctx", valueReg)
		}
		if err := v.checkPtrOffReg(idx, r, regno, false); err != nil {
			return err
		}
		if !r.vo.isConst() {
			return v.errf(idx, "variable ctx access var_off=%s disallowed", tnumString(r.vo))
		}
		typ, ok := v.pt.Context.Access(off, size, t == accWrite)
		if v.pt.Context == nil || !ok {
			return v.errf(idx, "invalid bpf_context access off=%d size=%d", off, size)
		}
		v.maxCtxOff = max(v.maxCtxOff, off+size)
		if t == accRead && valueReg >= 0 {
			d := &regs[valueReg]
			if typ == Scalar {
				d.setUnknownScalar()
				loaded = true
			} else {
				*d = reg{typ: typ}
				d.markKnown(0)
				d.typ = typ
			}
		}
	case r.typ == PtrToStack:
		if err := v.checkStackBounds(idx, regno, off, size, t, ""); err != nil {
			return err
		}
		if t == accRead {
			if err := v.stackRead(idx, regno, off, size, valueReg); err != nil {
				return err
			}
			loaded = valueReg >= 0 && regs[valueReg].typ == Scalar
		} else {
			if err := v.stackWrite(idx, regno, off, size, valueReg, imm); err != nil {
				return err
			}
		}
	case r.isPkt():
		if t == accWrite && !v.pt.DirectPacketWrite {
			return v.errf(idx, "cannot write into packet")
		}
		if t == accRead && !v.pt.DirectPacketRead {
			return v.errf(idx, "R%d invalid mem access '%s'", regno, r.typeName())
		}
		if val != nil && v.isPointerLeak(val) {
			return v.errf(idx, "R%d leaks addr into packet", valueReg)
		}
		if err := v.checkPacketAccess(idx, regno, off, size, false); err != nil {
			return err
		}
		if t == accRead && valueReg >= 0 {
			regs[valueReg].setUnknownScalar()
			loaded = true
		}
	case r.typ == ConstPtrToMap && t == accWrite && off >= 0 && r.m != nil && mapStructName(r.m.Type) != "":
		// The kernel reads a map's fields through BTF and refuses writes
		// (check_ptr_to_map_access); ebpfvm has no BTF for the reads.
		return v.errf(idx, "only read from %s is supported", mapStructName(r.m.Type))
	default:
		return v.errf(idx, "R%d invalid mem access '%s'", regno, r.typeName())
	}
	if loaded && size < 8 && valueReg >= 0 && t == accRead && regs[valueReg].typ == Scalar {
		d := &regs[valueReg]
		if signExt {
			d.signExtend(size)
		} else {
			d.coerce(size)
		}
	}
	return nil
}

// coerce truncates a scalar to its low size bytes (a narrow load).
func (r *reg) coerce(size int) {
	if size >= 8 {
		return
	}
	r.vo = r.vo.cast(size)
	mask := uint64(1)<<(size*8) - 1
	if r.umin&^mask == r.umax&^mask {
		r.umin &= mask
		r.umax &= mask
	} else {
		r.umin, r.umax = 0, mask
	}
	if r.umin > r.umax {
		r.umin, r.umax = 0, mask
	}
	r.smin, r.smax = int64(r.umin), int64(r.umax)
	r.s32min, r.s32max = minInt32, maxInt32
	r.u32min, r.u32max = 0, maxUint32
	r.id = 0
	r.sync()
}

const (
	minInt32  = -1 << 31
	maxInt32  = 1<<31 - 1
	maxUint32 = 1<<32 - 1
)

// checkAlignment: stack accesses and atomics must be naturally aligned.
func (v *verifier) checkAlignment(idx int, r *reg, off, size int, strict bool) error {
	desc := ""
	switch r.typ {
	case PtrToStack:
		desc = "stack "
		strict = true
	case PtrToCtx:
		desc = "context "
	case PtrToMapValue:
		desc = "value "
	case PtrToMapKey:
		desc = "key "
	case PtrToPacket, PtrToPacketMeta:
		desc = "packet "
	}
	if !strict || size == 1 {
		return nil
	}
	if r.isPkt() {
		// The kernel adds NET_IP_ALIGN (2) for packet pointers; x86 has 0.
	}
	ro := tnumAdd(r.vo, tnumConst(uint64(int64(r.off)+int64(off))))
	if !ro.isAligned(uint64(size)) {
		vo := tnumString(r.vo)
		if r.vo.isConst() {
			vo = sprintf("%d", int64(r.vo.value))
		}
		return v.errf(idx, "misaligned %saccess off %s+%d+%d size %d", desc, vo, r.off, off, size)
	}
	return nil
}

// checkPtrOffReg is __check_ptr_off_reg.
func (v *verifier) checkPtrOffReg(idx int, r *reg, regno int, fixedOffOK bool) error {
	if r.off < 0 {
		return v.errf(idx, "negative offset %s ptr R%d off=%d disallowed", r.typeName(), regno, r.off)
	}
	if !fixedOffOK && r.off != 0 {
		return v.errf(idx, "dereference of modified %s ptr R%d off=%d disallowed", r.typeName(), regno, r.off)
	}
	if !r.vo.isConst() || r.vo.value != 0 {
		return v.errf(idx, "variable %s access var_off=%s disallowed", r.typeName(), tnumString(r.vo))
	}
	return nil
}

// memAccessMsg is __check_mem_access's message (empty when in bounds).
func memAccessMsg(r *reg, regno, off, size, memSize int, zeroOK bool) string {
	sizeOK := size > 0 || (size == 0 && zeroOK)
	if off >= 0 && sizeOK && int64(off)+int64(size) <= int64(memSize) {
		return ""
	}
	switch r.typ {
	case PtrToMapKey:
		return sprintf("invalid access to map key, key_size=%d off=%d size=%d", memSize, off, size)
	case PtrToMapValue:
		return sprintf("invalid access to map value, value_size=%d off=%d size=%d", memSize, off, size)
	case PtrToPacket, PtrToPacketMeta, PtrToPacketEnd:
		return sprintf("invalid access to packet, off=%d size=%d, R%d(id=%d,off=%d,r=%d)", off, size, regno, r.id, off, memSize)
	}
	return sprintf("invalid access to memory, mem_size=%d off=%d size=%d", uint32(memSize), off, size)
}

// checkRegionAccess is check_mem_region_access.
func (v *verifier) checkRegionAccess(idx, regno, off, size, memSize int, zeroOK bool) error {
	r := &v.regs()[regno]
	if r.smin < 0 && (r.smin == minInt64 || int64(off)+r.smin != int64(int32(int64(off)+r.smin)) || r.smin+int64(off) < 0) {
		return v.errf(idx, "R%d min value is negative, either use unsigned index or do a if (index >=0) check.", regno)
	}
	if msg := memAccessMsg(r, regno, int(r.smin)+off, size, memSize, zeroOK); msg != "" {
		return v.errf(idx, "%s\nR%d min value is outside of the allowed memory range", msg, regno)
	}
	if r.umax >= maxVarOff {
		return v.errf(idx, "R%d unbounded memory access, make sure to bounds check any such access", regno)
	}
	if msg := memAccessMsg(r, regno, int(r.umax)+off, size, memSize, zeroOK); msg != "" {
		return v.errf(idx, "%s\nR%d max value is outside of the allowed memory range", msg, regno)
	}
	return nil
}

func (v *verifier) checkMapAccessType(idx, regno, off, size int, t accessKind) error {
	m := v.regs()[regno].m
	if t == accWrite && m.Flags&MapFlagRdonlyProg != 0 {
		return v.errf(idx, "write into map forbidden, value_size=%d off=%d size=%d", m.ValueSize, off, size)
	}
	if t == accRead && m.Flags&MapFlagWronlyProg != 0 {
		return v.errf(idx, "read from map forbidden, value_size=%d off=%d size=%d", m.ValueSize, off, size)
	}
	return nil
}

func (v *verifier) checkMapAccess(idx, regno, off, size int, zeroOK bool) error {
	r := &v.regs()[regno]
	if err := v.checkRegionAccess(idx, regno, off, size, int(r.m.ValueSize), zeroOK); err != nil {
		return err
	}
	if r.m.SpinLock {
		// The lock itself may not be touched directly.
		lo, hi := int64(off)+r.smin, int64(off)+int64(r.umax)+int64(size)
		lock := int64(r.m.SpinLockOff)
		if lo < lock+4 && hi > lock {
			return v.errf(idx, "bpf_spin_lock cannot be accessed directly by load/store")
		}
	}
	return nil
}

// checkPacketAccess is check_packet_access.
func (v *verifier) checkPacketAccess(idx, regno, off, size int, zeroOK bool) error {
	r := &v.regs()[regno]
	if r.smin < 0 {
		return v.errf(idx, "R%d min value is negative, either use unsigned index or do a if (index >=0) check.", regno)
	}
	if r.rng < 0 {
		return v.errf(idx, "R%d offset is outside of the packet", regno)
	}
	if msg := memAccessMsg(r, regno, off, size, int(r.rng), zeroOK); msg != "" {
		return v.errf(idx, "%s\nR%d offset is outside of the packet", msg, regno)
	}
	return nil
}

// checkStackBounds is check_stack_access_within_bounds. extra is "" for
// direct accesses and " indirect access to" for helpers.
func (v *verifier) checkStackBounds(idx, regno, off, size int, t accessKind, helper string) error {
	r := &v.regs()[regno]
	f := v.cur.frames[r.frame]
	extra := helper
	if extra == "" {
		if t == accRead {
			extra = " read from"
		} else {
			extra = " write to"
		}
	}
	var minOff, maxOff int64
	if r.vo.isConst() {
		minOff = int64(r.vo.value) + int64(off)
		maxOff = minOff + int64(size)
	} else {
		if r.smax >= maxVarOff || r.smin <= -maxVarOff {
			return v.errf(idx, "invalid unbounded variable-offset%s stack R%d", extra, regno)
		}
		minOff = r.smin + int64(off)
		maxOff = r.smax + int64(off) + int64(size)
	}
	minValid := int64(-maxStack)
	if t == accRead && !v.priv {
		minValid = -int64(f.allocated())
	}
	bad := minOff < minValid || minOff > -1 || maxOff > 0 || size < 0
	if bad {
		if r.vo.isConst() {
			return v.errf(idx, "invalid%s stack R%d off=%d size=%d", extra, regno, off, size)
		}
		return v.errf(idx, "invalid variable-offset%s stack R%d var_off=%s off=%d size=%d", extra, regno, tnumString(r.vo), off, size)
	}
	f.growStack(int(-minOff))
	if sp := v.insnSubprogOfFrame(f); v.subprogs[sp].stackDepth < int(-minOff) {
		v.subprogs[sp].stackDepth = int(-minOff)
	}
	return nil
}

func (v *verifier) insnSubprogOfFrame(f *funcState) int { return f.subprog }

// stackWrite is check_stack_write (fixed and variable offsets).
func (v *verifier) stackWrite(idx, regno, off, size, valueReg int, imm *int32) error {
	regs := v.regs()
	r := &regs[regno]
	f := v.cur.frames[r.frame]
	var val *reg
	if valueReg >= 0 {
		val = &regs[valueReg]
	}
	if !r.vo.isConst() {
		return v.stackWriteVar(idx, f, r, off, size, val, valueReg)
	}
	off += int(r.vo.value)
	spi := (-off - 1) / 8
	s := &f.stack[spi]
	v.scratchStack |= 1 << uint(spi&63)
	if !v.priv && s.isSpill() && s.spill.typ != Scalar && size != 8 {
		return v.errf(idx, "attempt to corrupt spilled pointer on stack")
	}
	if size == 8 {
		// The whole slot is overwritten: its earlier value is dead.
		// (Should the write fail below, verification stops anyway.)
		f.written |= 1 << uint(spi&63)
	}
	aligned := off%8 == 0
	spill := histStackFlags(int(r.frame), spi)
	switch {
	case val != nil && aligned && val.typ == Scalar && v.priv:
		v.saveSpill(s, val, size)
		v.pushHist(spill, nil)
	case val == nil && aligned && imm != nil && v.priv:
		fake := reg{typ: Scalar}
		fake.markKnown(uint64(int64(*imm)))
		v.saveSpill(s, &fake, size)
		v.pushHist(spill, nil)
	case val != nil && val.isPointer():
		if size != 8 {
			return v.errf(idx, "invalid size of register spill")
		}
		if int(r.frame) != len(v.cur.frames)-1 && val.typ == PtrToStack {
			return v.errf(idx, "cannot spill pointers to stack into stack frame of the caller")
		}
		v.saveSpill(s, val, size)
		v.pushHist(spill, nil)
	default:
		kind := stackMisc
		if s.isIter() {
			s.scrubIter()
		}
		if s.isSpill() || s.kinds[7] == stackSpill {
			for i := range s.kinds {
				if s.kinds[i] == stackSpill {
					s.kinds[i] = stackMisc
				}
			}
		}
		s.spill = reg{}
		if (val != nil && val.typ == Scalar && val.vo.equalsConst(0)) || (val == nil && imm != nil && *imm == 0) {
			kind = stackZero
			// Not a spill: the zero is remembered only as STACK_ZERO,
			// which backtracking cannot follow.
			v.markPrecise(valueReg)
		}
		for i := 0; i < size; i++ {
			k := (-(off + i) - 1) % 8
			s.kinds[k] = kind
		}
	}
	return nil
}

// saveSpill records a spilled register: the low size bytes of the slot
// hold it.
func (v *verifier) saveSpill(s *slot, val *reg, size int) {
	s.spill = *val
	for i := 8; i > 8-size; i-- {
		s.kinds[i-1] = stackSpill
	}
	for i := 8 - size; i > 0; i-- {
		k := &s.kinds[i-1]
		if *k == stackZero || (*k == stackInvalid && v.priv) {
			continue
		}
		*k = stackMisc
	}
}

func (v *verifier) stackWriteVar(idx int, f *funcState, r *reg, off, size int, val *reg, valueReg int) error {
	minOff := int(r.smin) + off
	maxOff := int(r.smax) + off + size
	zero := val != nil && val.typ == Scalar && val.vo.equalsConst(0)
	if val != nil && val.isPointer() {
		// Pointers cannot be spilled through a variable offset.
		return v.errf(v.insnIdx, "spilled ptr in range of var-offset stack write; insn %d, ptr off: %d", idx, minOff)
	}
	zeroUsed := false
	for i := minOff; i < maxOff; i++ {
		spi := (-i - 1) / 8
		s := &f.stack[spi]
		k := (-i - 1) % 8
		if s.isSpill() && s.spill.typ != Scalar {
			return v.errf(idx, "spilled ptr in range of var-offset stack write; insn %d, ptr off: %d", idx, i)
		}
		s.spill = reg{}
		old := s.kinds[k]
		if old == stackInvalid && !v.priv {
			return v.errf(idx, "uninit stack in range of var-offset write prohibited for !root; insn %d, off: %d", idx, i)
		}
		newKind := stackMisc
		if zero && old == stackZero {
			newKind = stackZero
			zeroUsed = true
		}
		for j := range s.kinds {
			if s.kinds[j] == stackSpill {
				s.kinds[j] = stackMisc
			}
		}
		s.kinds[k] = newKind
	}
	if zeroUsed {
		// STACK_ZERO kept because the value is exactly zero.
		v.markPrecise(valueReg)
	}
	return nil
}

// stackRead is check_stack_read.
func (v *verifier) stackRead(idx, regno, off, size, dst int) error {
	regs := v.regs()
	r := &regs[regno]
	f := v.cur.frames[r.frame]
	if !r.vo.isConst() {
		// Variable offset: every byte must be initialized.
		minOff := int(r.smin) + off
		maxOff := int(r.smax) + off
		v.markStackReads(int(r.frame), minOff, maxOff+size)
		for i := minOff; i < maxOff+size; i++ {
			k := f.byteKind(i)
			if k == stackMisc || k == stackZero || k == stackSpill && f.stack[(-i-1)/8].spill.typ == Scalar {
				continue
			}
			if k == stackInvalid && v.priv {
				continue
			}
			if k == stackSpill && v.priv {
				continue
			}
			return v.errf(idx, "invalid variable-offset read from stack R%d var_off=%s off=%d size=%d", regno, tnumString(r.vo), off, size)
		}
		if dst >= 0 {
			regs[dst].setUnknownScalar()
		}
		return nil
	}
	off += int(r.vo.value)
	spi := (-off - 1) / 8
	s := &f.stack[spi]
	v.scratchStack |= 1 << uint(spi&63)
	v.markStackRead(int(r.frame), spi)
	if s.isSpill() {
		spillSize := 1
		for i := 7; i > 0 && s.kinds[i-1] == stackSpill; i-- {
			spillSize++
		}
		if size != 8 || spillSize != 8 {
			if s.spill.typ != Scalar {
				return v.errf(idx, "invalid size of register fill")
			}
			if dst < 0 {
				return nil
			}
			if size <= spillSize && off%8 == 0 {
				regs[dst] = s.spill
				if size < 8 {
					regs[dst].id = 0
				}
				v.pushHist(histStackFlags(int(r.frame), spi), nil)
				return nil
			}
			spillCnt, zeroCnt := 0, 0
			for i := 0; i < size; i++ {
				k := s.kinds[(-(off+i)-1)%8]
				switch {
				case k == stackSpill:
					spillCnt++
				case k == stackMisc:
				case k == stackZero:
					zeroCnt++
				case k == stackInvalid && v.priv:
				default:
					return v.errf(idx, "invalid read from stack off %d+%d size %d", off, i, size)
				}
			}
			if spillCnt == size && s.spill.vo.equalsConst(0) {
				regs[dst].setConstScalar(0)
				v.pushHist(histStackFlags(int(r.frame), spi), nil)
			} else if zeroCnt == size {
				regs[dst].setConstScalar(0)
			} else {
				regs[dst].setUnknownScalar()
			}
			return nil
		}
		if dst >= 0 {
			regs[dst] = s.spill
			v.pushHist(histStackFlags(int(r.frame), spi), nil)
			return nil
		}
		if v.isPointerLeak(&s.spill) {
			return v.errf(idx, "leaking pointer from stack off %d", off)
		}
		return nil
	}
	zeros := 0
	for i := 0; i < size; i++ {
		k := s.kinds[(-(off+i)-1)%8]
		switch {
		case k == stackMisc:
		case k == stackZero:
			zeros++
		case k == stackInvalid && v.priv:
		default:
			return v.errf(idx, "invalid read from stack off %d+%d size %d", off, i, size)
		}
	}
	if dst >= 0 {
		if zeros == size {
			regs[dst].setConstScalar(0)
		} else {
			regs[dst].setUnknownScalar()
		}
	}
	return nil
}

// checkHelperMem is check_helper_mem_access: the helper reads (or writes)
// size bytes at the pointer in regno.
func (v *verifier) checkHelperMem(idx, regno int, size int64, write, zeroOK, rawMode bool) error {
	r := &v.regs()[regno]
	if size == 0 && !zeroOK {
		return v.errf(idx, "invalid zero-sized read")
	}
	switch r.typ {
	case PtrToPacket, PtrToPacketMeta:
		return v.checkPacketAccess(idx, regno, int(r.off), int(size), zeroOK)
	case PtrToMapKey:
		if write {
			return v.errf(idx, "R%d cannot write into %s", regno, r.typeName())
		}
		return v.checkRegionAccess(idx, regno, int(r.off), int(size), int(r.m.KeySize), false)
	case PtrToMapValue:
		t := accRead
		if write {
			t = accWrite
		}
		if err := v.checkMapAccessType(idx, regno, int(r.off), int(size), t); err != nil {
			return err
		}
		return v.checkMapAccess(idx, regno, int(r.off), int(size), zeroOK)
	case PtrToMem:
		if write && r.flags&ReadOnly != 0 {
			return v.errf(idx, "R%d cannot write into %s", regno, r.typeName())
		}
		return v.checkRegionAccess(idx, regno, int(r.off), int(size), int(r.memSize), zeroOK)
	case PtrToCtx:
		return v.errf(idx, "R%d type=%s expected=fp", regno, r.typeName())
	case PtrToStack:
		return v.checkStackRange(idx, regno, int(r.off), int(size), write, zeroOK, rawMode)
	}
	if zeroOK && size == 0 && r.typ == Scalar && r.vo.equalsConst(0) {
		return nil
	}
	return v.errf(idx, "R%d type=%s expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_", regno, r.typeName())
}

// checkStackRange is check_stack_range_initialized.
func (v *verifier) checkStackRange(idx, regno, off, size int, write, zeroOK, rawMode bool) error {
	r := &v.regs()[regno]
	f := v.cur.frames[r.frame]
	if size == 0 && zeroOK {
		return nil
	}
	t := accRead
	if write || rawMode {
		t = accWrite
	}
	if err := v.checkStackBounds(idx, regno, off, size, t, ""); err != nil {
		return err
	}
	var minOff, maxOff int
	if r.vo.isConst() {
		minOff = int(r.vo.value) + off
		maxOff = minOff
	} else {
		if !v.priv {
			return v.errf(idx, "R%d variable offset stack access prohibited for !root, var_off=%s", regno, tnumString(r.vo))
		}
		rawMode = false
		minOff = int(r.smin) + off
		maxOff = int(r.smax) + off
	}
	if rawMode {
		// The helper initializes the memory: mark it written.
		for i := minOff; i < maxOff+size; i++ {
			spi := (-i - 1) / 8
			s := &f.stack[spi]
			if s.isIter() {
				s.scrubIter()
			}
			if s.isSpill() {
				s.spill = reg{}
				for j := range s.kinds {
					if s.kinds[j] == stackSpill {
						s.kinds[j] = stackMisc
					}
				}
			}
			s.kinds[(-i-1)%8] = stackMisc
			v.scratchStack |= 1 << uint(spi&63)
		}
		return nil
	}
	v.markStackReads(int(r.frame), minOff, maxOff+size)
	for i := minOff; i < maxOff+size; i++ {
		spi := (-i - 1) / 8
		s := &f.stack[spi]
		k := &s.kinds[(-i-1)%8]
		switch {
		case *k == stackMisc:
		case *k == stackZero || (*k == stackInvalid && v.priv):
			if write {
				*k = stackMisc
			}
		case s.isSpill() && (s.spill.typ == Scalar || v.priv):
			if write {
				s.spill.setUnknownScalar()
				for j := range s.kinds {
					if s.kinds[j] == stackSpill {
						s.kinds[j] = stackMisc
					}
				}
			}
		default:
			if r.vo.isConst() {
				return v.errf(idx, "invalid read from stack R%d off %d+%d size %d", regno, minOff, i-minOff, size)
			}
			return v.errf(idx, "invalid read from stack R%d var_off %s+%d size %d", regno, tnumString(r.vo), i-minOff, size)
		}
	}
	return nil
}

// mapStructName is the kernel struct behind a map type (its map_btf_id),
// for the types whose name is known here.
func mapStructName(t MapType) string {
	switch t {
	case MapHash, MapPerCPUHash, MapLRUHash, MapLRUPerCPUHash, MapHashOfMaps:
		return "bpf_htab"
	case MapArray, MapPerCPUArray, MapProgArray, MapPerfEventArray, MapCgroupArray, MapArrayOfMaps:
		return "bpf_array"
	case MapQueue, MapStack:
		return "bpf_queue_stack"
	case MapRingbuf:
		return "bpf_ringbuf_map"
	}
	return ""
}
