package verifier

import (
	"github.com/ebpfvm/ebpfvm/isa"
)

var aluNames = map[uint8]string{
	isa.ALUAdd: "+=", isa.ALUSub: "-=", isa.ALUMul: "*=", isa.ALUDiv: "/=",
	isa.ALUOr: "|=", isa.ALUAnd: "&=", isa.ALULsh: "<<=", isa.ALURsh: ">>=",
	isa.ALUNeg: "neg", isa.ALUMod: "%=", isa.ALUXor: "^=", isa.ALUMov: "=",
	isa.ALUArsh: "s>>=", isa.ALUEnd: "endian",
}

// checkALU is check_alu_op.
func (v *verifier) checkALU(idx int, in isa.Instruction) error {
	op := in.Opcode.Op()
	alu64 := in.Opcode.Class() == isa.ClassALU64
	x := in.Opcode.Source() == isa.SourceX
	regs := v.regs()
	switch op {
	case isa.ALUNeg, isa.ALUEnd:
		if err := v.checkRegRead(idx, in.Dst); err != nil {
			return err
		}
		if v.isPointerLeak(&regs[in.Dst]) {
			return v.errf(idx, "R%d pointer arithmetic prohibited", in.Dst)
		}
		if err := v.checkRegWrite(idx, in.Dst); err != nil {
			return err
		}
		d := &regs[in.Dst]
		if op == isa.ALUNeg && d.typ == Scalar {
			zero := reg{typ: Scalar}
			zero.markKnown(0)
			src := *d
			*d = zero
			v.scalarALU(idx, isa.ALUSub, !alu64, d, &src)
			return nil
		}
		if op == isa.ALUEnd && d.typ == Scalar && d.vo.isConst() {
			d.setConstScalar(byteSwap(d.vo.value, int(in.Imm), in.Opcode.Source() == isa.SourceX, alu64))
			return nil
		}
		if op == isa.ALUEnd && d.typ == Scalar && !alu64 && in.Opcode.Source() == isa.SourceK {
			// le16/le32 on little endian: truncation.
			size := int(in.Imm) / 8
			if size < 8 {
				d.vo = d.vo.cast(size)
				d.markUnbounded()
				d.id = 0
				d.sync()
			}
			return nil
		}
		d.setUnknownScalar()
		return nil
	case isa.ALUMov:
		if x {
			if err := v.checkRegRead(idx, in.Src); err != nil {
				return err
			}
		}
		if err := v.checkRegWrite(idx, in.Dst); err != nil {
			return err
		}
		d := &regs[in.Dst]
		if !x {
			if alu64 {
				d.setConstScalar(uint64(int64(in.Imm)))
			} else {
				d.setConstScalar(uint64(uint32(in.Imm)))
			}
			return nil
		}
		s := &regs[in.Src]
		if alu64 {
			if in.Offset == 0 {
				if s.typ == Scalar && s.id == 0 && !s.vo.isConst() {
					s.id = v.newID()
				}
				*d = *s
				return nil
			}
			if v.isPointerLeak(s) {
				return v.errf(idx, "R%d sign-extension part of pointer", in.Src)
			}
			if s.typ != Scalar {
				d.setUnknownScalar()
				return nil
			}
			noSext := s.umax < 1<<(in.Offset-1)
			if noSext && s.id == 0 && !s.vo.isConst() {
				s.id = v.newID()
			}
			*d = *s
			if !noSext {
				d.id = 0
			}
			d.signExtend(int(in.Offset) / 8)
			return nil
		}
		if v.isPointerLeak(s) {
			return v.errf(idx, "R%d partial copy of pointer", in.Src)
		}
		if s.typ != Scalar {
			d.setUnknownScalar()
			d.vo = tnumUnknown.subreg()
			d.markUnbounded()
			d.sync()
			d.zext32()
			d.sync()
			return nil
		}
		if in.Offset == 0 {
			src32 := s.umax <= 0xffffffff
			if src32 && s.id == 0 && !s.vo.isConst() {
				s.id = v.newID()
			}
			*d = *s
			if !src32 {
				d.id = 0
			}
		} else {
			*d = *s
			d.id = 0
			d.signExtend32(int(in.Offset) / 8)
		}
		d.zext32()
		d.sync()
		return nil
	}
	// Other ALU operations.
	if x {
		if err := v.checkRegRead(idx, in.Src); err != nil {
			return err
		}
	}
	if err := v.checkRegRead(idx, in.Dst); err != nil {
		return err
	}
	if (op == isa.ALUDiv || op == isa.ALUMod) && !x && in.Imm == 0 {
		return v.errf(idx, "div by zero")
	}
	if (op == isa.ALULsh || op == isa.ALURsh || op == isa.ALUArsh) && !x {
		size := int32(32)
		if alu64 {
			size = 64
		}
		if in.Imm < 0 || in.Imm >= size {
			return v.errf(idx, "invalid shift %d", in.Imm)
		}
	}
	if err := v.checkRegWrite(idx, in.Dst); err != nil {
		return err
	}
	d := &regs[in.Dst]
	var src reg
	if x {
		src = regs[in.Src]
	} else {
		src = reg{typ: Scalar}
		src.markKnown(uint64(int64(in.Imm)))
	}
	if x && src.typ != Scalar {
		if d.typ != Scalar {
			if op == isa.ALUSub && v.priv {
				d.setUnknownScalar()
				return nil
			}
			return v.errf(idx, "R%d pointer %s pointer prohibited", in.Dst, aluNames[op])
		}
		// scalar += pointer
		v.markPrecise(int(in.Dst))
		off := *d
		return v.ptrALU(idx, in, d, &src, &off, true)
	}
	if d.typ != Scalar {
		if x {
			v.markPrecise(int(in.Src))
		}
		ptr := *d
		return v.ptrALU(idx, in, d, &ptr, &src, false)
	}
	v.scalarALU(idx, op, !alu64, d, &src)
	return nil
}

func byteSwap(v uint64, width int, be, alu64 bool) uint64 {
	swap := alu64 || be // bswap, or to-big-endian on a little-endian host
	switch width {
	case 16:
		x := uint16(v)
		if swap {
			x = x>>8 | x<<8
		}
		return uint64(x)
	case 32:
		x := uint32(v)
		if swap {
			x = x>>24 | (x>>8)&0xff00 | (x<<8)&0xff0000 | x<<24
		}
		return uint64(x)
	}
	if swap {
		var r uint64
		for i := 0; i < 8; i++ {
			r = r<<8 | (v>>(8*i))&0xff
		}
		return r
	}
	return v
}

// scalarALU is adjust_scalar_min_max_vals.
func (v *verifier) scalarALU(idx int, op uint8, alu32 bool, d, s *reg) {
	d.id = 0
	width := uint64(64)
	if alu32 {
		width = 32
	}
	safe := false
	switch op {
	case isa.ALUAdd, isa.ALUSub, isa.ALUAnd, isa.ALUXor, isa.ALUOr, isa.ALUMul:
		safe = true
	case isa.ALULsh, isa.ALURsh, isa.ALUArsh:
		safe = srcIsConst(s, alu32) && s.umax < width
	}
	if !safe {
		// Division, modulo and shifts by unknown amounts: a constant
		// result when both are constants, otherwise unknown.
		if (op == isa.ALUDiv || op == isa.ALUMod) && d.vo.isConst() && s.vo.isConst() {
			d.setConstScalar(constDivMod(op, alu32, d.vo.value, s.vo.value, false))
			return
		}
		d.setUnknownScalar()
		if alu32 {
			d.zext32()
			d.sync()
		}
		return
	}
	if alu32 {
		// 32-bit operations see only the low halves.
		lo := *s
		s = &lo
	}
	switch op {
	case isa.ALUAdd:
		d.add32(s)
		d.add64(s)
		d.vo = tnumAdd(d.vo, s.vo)
	case isa.ALUSub:
		d.sub32(s)
		d.sub64(s)
		d.vo = tnumSub(d.vo, s.vo)
	case isa.ALUMul:
		d.vo = tnumMul(d.vo, s.vo)
		d.mul32(s)
		d.mul64(s)
	case isa.ALUAnd:
		if s.vo.isConst() {
			v.maybeForkScalars(idx, d)
		}
		d.vo = tnumAnd(d.vo, s.vo)
		d.and32(s)
		d.and64(s)
	case isa.ALUOr:
		if s.vo.isConst() {
			v.maybeForkScalars(idx, d)
		}
		d.vo = tnumOr(d.vo, s.vo)
		d.or32(s)
		d.or64(s)
	case isa.ALUXor:
		d.vo = tnumXor(d.vo, s.vo)
		d.xor32(s)
		d.xor64(s)
	case isa.ALULsh:
		if alu32 {
			d.lsh32(s)
		} else {
			d.lsh64(s)
		}
	case isa.ALURsh:
		if alu32 {
			d.rsh32(s)
		} else {
			d.rsh64(s)
		}
	case isa.ALUArsh:
		if alu32 {
			d.arsh32(s)
		} else {
			d.arsh64(s)
		}
	}
	if alu32 {
		d.zext32()
	}
	d.sync()
}

// maybeForkScalars: a value in [-1, 0] and'ed or or'ed with a constant is
// explored as two paths, -1 and 0, as the kernel does.
func (v *verifier) maybeForkScalars(idx int, d *reg) {
	alu32 := false
	if d.smin == -1 && d.smax == 0 {
	} else if d.s32min == -1 && d.s32max == 0 {
		alu32 = true
	} else {
		return
	}
	// The pushed state re-executes this instruction with 0.
	regNo := -1
	regs := v.regs()
	for i := range regs {
		if &regs[i] == d {
			regNo = i
		}
	}
	if regNo < 0 {
		return
	}
	br := v.push(idx, idx)
	br.cur().regs[regNo].id = 0
	if alu32 {
		br.cur().regs[regNo].markKnown32(0)
		d.markKnown32(0xffffffff)
	} else {
		br.cur().regs[regNo].markKnown(0)
		d.markKnown(^uint64(0))
	}
	v.pending[len(v.pending)-1].insn = idx
}

func constDivMod(op uint8, alu32 bool, a, b uint64, signed bool) uint64 {
	if alu32 {
		x, y := uint32(a), uint32(b)
		if op == isa.ALUDiv {
			if y == 0 {
				return 0
			}
			return uint64(x / y)
		}
		if y == 0 {
			return uint64(x)
		}
		return uint64(x % y)
	}
	if op == isa.ALUDiv {
		if b == 0 {
			return 0
		}
		return a / b
	}
	if b == 0 {
		return a
	}
	return a % b
}

// ptrALU is adjust_ptr_min_max_vals: dst = ptr <op> off (or off + ptr when
// reversed).
func (v *verifier) ptrALU(idx int, in isa.Instruction, d, ptr, off *reg, reversed bool) error {
	op := in.Opcode.Op()
	dst := in.Dst
	if in.Opcode.Class() != isa.ClassALU64 {
		if op == isa.ALUSub && v.priv {
			d.setUnknownScalar()
			return nil
		}
		return v.errf(idx, "R%d 32-bit pointer arithmetic prohibited", dst)
	}
	known := off.vo.isConst()
	smin, smax := off.smin, off.smax
	umin, umax := off.umin, off.umax
	if ptr.flags&MaybeNull != 0 {
		return v.errf(idx, "R%d pointer arithmetic on %s prohibited, null-check it first", dst, ptr.typeName())
	}
	switch ptr.typ {
	case PtrToCtx, PtrToMapValue, PtrToMapKey, PtrToStack, PtrToPacketMeta, PtrToPacket, PtrToMem, PtrToFunc:
	case ConstPtrToMap:
		if known && smin == 0 && op == isa.ALUAdd {
			break
		}
		fallthrough
	default:
		return v.errf(idx, "R%d pointer arithmetic on %s prohibited", dst, ptr.typeName())
	}
	if msg := saneOffset(off, ptr); msg != "" {
		return v.errf(idx, "%s", msg)
	}
	if msg := saneOffset(ptr, ptr); msg != "" {
		return v.errf(idx, "%s", msg)
	}
	res := *ptr
	res.mark32Unbounded()
	if !v.priv && ptr.typ != PtrToStack && !known {
		// Unprivileged: mixed signed bounds are refused.
		if smin < 0 && smax >= 0 || (smin < 0) != (smax < 0) {
			if !(smin >= 0) {
				return v.errf(idx, "R%d has unknown scalar with mixed signed bounds, pointer arithmetic with it prohibited for !root", dst)
			}
		}
	}
	switch op {
	case isa.ALUAdd:
		if known && off.vo.equalsConst(uint64(smin)) {
			res.off = ptr.off + int32(smin)
			break
		}
		// Variable offset.
		a, o1 := addOverflows64(ptr.smin, smin)
		b, o2 := addOverflows64(ptr.smax, smax)
		if o1 || o2 {
			res.smin, res.smax = minInt64, maxInt64
		} else {
			res.smin, res.smax = a, b
		}
		ua, ub := ptr.umin+umin, ptr.umax+umax
		if ua < ptr.umin || ub < ptr.umax {
			res.umin, res.umax = 0, maxUint64
		} else {
			res.umin, res.umax = ua, ub
		}
		res.vo = tnumAdd(ptr.vo, off.vo)
		if ptr.isPkt() {
			res.id = v.newID()
			res.rng = 0
		}
	case isa.ALUSub:
		if reversed {
			return v.errf(idx, "R%d tried to subtract pointer from scalar", dst)
		}
		if ptr.typ == PtrToStack {
			return v.errf(idx, "R%d subtraction from stack pointer prohibited", dst)
		}
		if known && off.vo.equalsConst(uint64(smin)) {
			res.off = ptr.off - int32(smin)
			break
		}
		if smin == minInt64 {
			return v.errf(idx, "R%d tried to sub from different maps, paths or scalars", dst)
		}
		a, o1 := subOverflows64(ptr.smin, smax)
		b, o2 := subOverflows64(ptr.smax, smin)
		if o1 || o2 {
			res.smin, res.smax = minInt64, maxInt64
		} else {
			res.smin, res.smax = a, b
		}
		if ptr.umin < umax {
			res.umin, res.umax = 0, maxUint64
		} else {
			res.umin, res.umax = ptr.umin-umax, ptr.umax-umin
		}
		res.vo = tnumSub(ptr.vo, off.vo)
		if ptr.isPkt() {
			res.id = v.newID()
			res.rng = 0
		}
	case isa.ALUAnd, isa.ALUOr, isa.ALUXor:
		return v.errf(idx, "R%d bitwise operator %s on pointer prohibited", dst, aluNames[op])
	default:
		return v.errf(idx, "R%d pointer arithmetic with %s operator prohibited", dst, aluNames[op])
	}
	if msg := saneOffset(&res, ptr); msg != "" {
		return v.errf(idx, "%s", msg)
	}
	res.sync()
	res.mark32Unbounded()
	*d = res
	if !v.priv {
		return v.checkUnprivPtrBounds(idx, dst, d)
	}
	return nil
}

// saneOffset is check_reg_sane_offset.
func saneOffset(r, ptr *reg) string {
	known := r.vo.isConst()
	val := r.smin
	tn := ptr.typeName()
	if known && (val >= maxVarOff || val <= -maxVarOff) {
		return sprintf("math between %s pointer and %d is not allowed", tn, val)
	}
	if r.off >= maxVarOff || r.off <= -maxVarOff {
		return sprintf("%s pointer offset %d is not allowed", tn, r.off)
	}
	if r.smin == minInt64 {
		return sprintf("math between %s pointer and register with unbounded min value is not allowed", tn)
	}
	if r.smin >= maxVarOff || r.smin <= -maxVarOff || r.smin+int64(r.off) <= -maxVarOff || r.smin+int64(r.off) >= maxVarOff {
		return sprintf("value %d makes %s pointer be out of bounds", r.smin, tn)
	}
	return ""
}

// checkUnprivPtrBounds is sanitize_check_bounds: unprivileged pointer
// arithmetic must keep stack and map value pointers in bounds.
func (v *verifier) checkUnprivPtrBounds(idx int, regno isa.Register, d *reg) error {
	switch d.typ {
	case PtrToStack:
		if !d.vo.isConst() {
			return v.errf(idx, "R%d variable stack access prohibited for !root, var_off=%s off=%d", regno, tnumString(d.vo), d.off)
		}
		off := int64(d.off) + int64(d.vo.value)
		if off >= 0 || off < -maxStack {
			return v.errf(idx, "R%d stack pointer arithmetic goes out of range, prohibited for !root; off=%d", regno, off)
		}
	case PtrToMapValue:
		if d.smin+int64(d.off) < 0 || d.umax+uint64(d.off) > uint64(d.m.ValueSize) {
			return v.errf(idx, "R%d pointer arithmetic of map value goes out of range, prohibited for !root", regno)
		}
	}
	return nil
}
