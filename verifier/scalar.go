package verifier

import "math"

// Scalar range tracking: every register carries a tnum and signed and
// unsigned bounds for its full 64 bits and for its low 32 bits. The rules
// that keep the five views consistent, and the rules for each ALU operation
// and each conditional jump, follow the kernel's (reg_bounds_sync,
// adjust_scalar_min_max_vals, regs_refine_cond_op).

func (r *reg) markKnown(v uint64) {
	r.vo = tnumConst(v)
	r.smin, r.smax = int64(v), int64(v)
	r.umin, r.umax = v, v
	r.s32min, r.s32max = int32(v), int32(v)
	r.u32min, r.u32max = uint32(v), uint32(v)
}

func (r *reg) markKnown32(v uint32) {
	r.vo = r.vo.withSubreg(tnumConst(uint64(v)))
	r.s32min, r.s32max = int32(v), int32(v)
	r.u32min, r.u32max = v, v
}

func (r *reg) markUnbounded() {
	r.smin, r.smax = math.MinInt64, math.MaxInt64
	r.umin, r.umax = 0, math.MaxUint64
	r.s32min, r.s32max = math.MinInt32, math.MaxInt32
	r.u32min, r.u32max = 0, math.MaxUint32
}

func (r *reg) mark64Unbounded() {
	r.smin, r.smax = math.MinInt64, math.MaxInt64
	r.umin, r.umax = 0, math.MaxUint64
}

func (r *reg) mark32Unbounded() {
	r.s32min, r.s32max = math.MinInt32, math.MaxInt32
	r.u32min, r.u32max = 0, math.MaxUint32
}

// setUnknownScalar makes r an unknown scalar.
func (r *reg) setUnknownScalar() {
	*r = reg{typ: Scalar, vo: tnumUnknown}
	r.markUnbounded()
}

func (r *reg) setConstScalar(v uint64) {
	*r = reg{typ: Scalar}
	r.markKnown(v)
}

func (r *reg) isConst() bool { return r.typ == Scalar && r.vo.isConst() }

func (r *reg) isConst32(jmp32 bool) bool {
	if jmp32 {
		return r.vo.subregIsConst()
	}
	return r.vo.isConst()
}

func (r *reg) constValue(jmp32 bool) uint64 {
	if jmp32 {
		return uint64(uint32(r.vo.value))
	}
	return r.vo.value
}

func (r *reg) updateBounds32() {
	v := r.vo.subreg()
	r.s32min = max(r.s32min, int32(uint32(v.value|(v.mask&0x80000000))))
	r.s32max = min(r.s32max, int32(uint32(v.value|(v.mask&0x7fffffff))))
	r.u32min = max(r.u32min, uint32(v.value))
	r.u32max = min(r.u32max, uint32(v.value|v.mask))
}

func (r *reg) updateBounds64() {
	r.smin = max(r.smin, int64(r.vo.value|(r.vo.mask&(1<<63))))
	r.smax = min(r.smax, int64(r.vo.value|(r.vo.mask&math.MaxInt64)))
	r.umin = max(r.umin, r.vo.value)
	r.umax = min(r.umax, r.vo.value|r.vo.mask)
}

func (r *reg) updateBounds() {
	r.updateBounds32()
	r.updateBounds64()
}

func (r *reg) deduce32() {
	if r.umin>>32 == r.umax>>32 {
		r.u32min = max(r.u32min, uint32(r.umin))
		r.u32max = min(r.u32max, uint32(r.umax))
		if int32(r.umin) <= int32(r.umax) {
			r.s32min = max(r.s32min, int32(r.umin))
			r.s32max = min(r.s32max, int32(r.umax))
		}
	}
	if r.smin>>32 == r.smax>>32 {
		if uint32(r.smin) <= uint32(r.smax) {
			r.u32min = max(r.u32min, uint32(r.smin))
			r.u32max = min(r.u32max, uint32(r.smax))
		}
		if int32(r.smin) <= int32(r.smax) {
			r.s32min = max(r.s32min, int32(r.smin))
			r.s32max = min(r.s32max, int32(r.smax))
		}
	}
	if uint32(r.umin>>32)+1 == uint32(r.umax>>32) && int32(r.umin) < 0 && int32(r.umax) >= 0 {
		r.s32min = max(r.s32min, int32(r.umin))
		r.s32max = min(r.s32max, int32(r.umax))
	}
	if uint32(r.smin>>32)+1 == uint32(r.smax>>32) && int32(r.smin) < 0 && int32(r.smax) >= 0 {
		r.s32min = max(r.s32min, int32(r.smin))
		r.s32max = min(r.s32max, int32(r.smax))
	}
	if int32(r.u32min) <= int32(r.u32max) {
		r.s32min = max(r.s32min, int32(r.u32min))
		r.s32max = min(r.s32max, int32(r.u32max))
	}
	if uint32(r.s32min) <= uint32(r.s32max) {
		r.u32min = max(uint32(r.s32min), r.u32min)
		r.u32max = min(uint32(r.s32max), r.u32max)
	} else {
		if r.u32max < uint32(r.s32min) {
			r.s32min = int32(r.u32min)
			r.u32max = min(r.u32max, uint32(r.s32max))
		} else if uint32(r.s32max) < r.u32min {
			r.s32max = int32(r.u32max)
			r.u32min = max(r.u32min, uint32(r.s32min))
		}
	}
}

func (r *reg) deduce64() {
	if int64(r.umin) <= int64(r.umax) {
		r.smin = max(r.smin, int64(r.umin))
		r.smax = min(r.smax, int64(r.umax))
	}
	if uint64(r.smin) <= uint64(r.smax) {
		r.umin = max(uint64(r.smin), r.umin)
		r.umax = min(uint64(r.smax), r.umax)
	} else {
		if r.umax < uint64(r.smin) {
			r.smin = int64(r.umin)
			r.umax = min(r.umax, uint64(r.smax))
		} else if uint64(r.smax) < r.umin {
			r.smax = int64(r.umax)
			r.umin = max(r.umin, uint64(r.smin))
		}
	}
}

func (r *reg) deduceMixed() {
	const hi = ^uint64(0xffffffff)
	nu := (r.umin & hi) | uint64(r.u32min)
	xu := (r.umax & hi) | uint64(r.u32max)
	r.umin = max(r.umin, nu)
	r.umax = min(r.umax, xu)
	ns := int64((uint64(r.smin) & hi) | uint64(r.u32min))
	xs := int64((uint64(r.smax) & hi) | uint64(r.u32max))
	r.smin = max(r.smin, ns)
	r.smax = min(r.smax, xs)
	if uint32(r.s32min) <= uint32(r.s32max) {
		nu = (r.umin & hi) | uint64(uint32(r.s32min))
		xu = (r.umax & hi) | uint64(uint32(r.s32max))
		r.umin = max(r.umin, nu)
		r.umax = min(r.umax, xu)
		ns = int64((uint64(r.smin) & hi) | uint64(uint32(r.s32min)))
		xs = int64((uint64(r.smax) & hi) | uint64(uint32(r.s32max)))
		r.smin = max(r.smin, ns)
		r.smax = min(r.smax, xs)
	}
	if r.s32min >= 0 && r.smin >= math.MinInt32 && r.smax <= math.MaxInt32 {
		r.smin, r.smax = int64(r.s32min), int64(r.s32max)
		r.umin, r.umax = uint64(r.s32min), uint64(r.s32max)
		r.vo = tnumIntersect(r.vo, tnumRange(uint64(r.smin), uint64(r.smax)))
	}
}

func (r *reg) deduce() {
	r.deduce32()
	r.deduce64()
	r.deduceMixed()
}

func (r *reg) boundOffset() {
	v64 := tnumIntersect(r.vo, tnumRange(r.umin, r.umax))
	v32 := tnumIntersect(v64.subreg(), tnumRange(uint64(r.u32min), uint64(r.u32max)))
	r.vo = tnumOr(v64.clearSubreg(), v32)
}

// sync brings the tnum and the four ranges into agreement.
func (r *reg) sync() {
	r.updateBounds()
	r.deduce()
	r.deduce()
	r.deduce()
	r.boundOffset()
	r.updateBounds()
}

// boundsValid reports whether the ranges still describe some value; a
// refinement that empties them proves a branch dead.
func (r *reg) boundsValid() bool {
	if r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max {
		return false
	}
	if r.vo.value&r.vo.mask != 0 {
		return false
	}
	// The tnum must contain at least one value of the unsigned range.
	if r.vo.value > r.umax || r.vo.value|r.vo.mask < r.umin {
		return false
	}
	return true
}

// zext32 zero-extends the low 32 bits into the whole register, as every
// 32-bit ALU operation does.
func (r *reg) zext32() {
	r.vo = r.vo.subreg()
	if r.s32min >= 0 {
		r.smin, r.smax = int64(r.s32min), int64(r.s32max)
	} else {
		r.smin, r.smax = 0, math.MaxUint32
	}
	r.umin, r.umax = uint64(r.u32min), uint64(r.u32max)
}

// assignUpper32 gives r the value of its low 32 bits.
func (r *reg) assign32From64() {
	// Used by mov32: the low half is kept, bounds rebuilt from the tnum.
	v := r.vo.subreg()
	r.vo = v
	r.markUnbounded()
	r.sync()
}

// signExtend narrows r to its low size bytes and sign-extends them to 64
// bits (movsx and ldsx).
func (r *reg) signExtend(size int) {
	if r.vo.isConst() {
		v := r.vo.value
		switch size {
		case 1:
			v = uint64(int64(int8(v)))
		case 2:
			v = uint64(int64(int16(v)))
		case 4:
			v = uint64(int64(int32(v)))
		}
		r.markKnown(v)
		return
	}
	bitsN := uint(size * 8)
	topSet := uint64(1) << (bitsN - 1)
	if size < 8 && r.smin >= -int64(topSet) && r.smax <= int64(topSet-1) {
		return // the value already is its own sign extension
	}
	lowMask := topSet<<1 - 1
	low := r.vo.cast(size)
	// A known sign bit extends as known bits; otherwise as unknown ones.
	var ext tnum
	switch {
	case low.mask&topSet != 0:
		ext = tnum{low.value, low.mask | ^lowMask}
	case low.value&topSet != 0:
		ext = tnum{low.value | ^lowMask, low.mask}
	default:
		ext = low
	}
	*r = reg{typ: Scalar, vo: ext}
	r.markUnbounded()
	// Range: if the value fits the narrow signed range, keep it.
	r.smin = -int64(topSet)
	r.smax = int64(topSet - 1)
	r.sync()
}

// signExtend32 is movsx of class ALU (32-bit destination): the low size
// bytes sign-extended to 32 bits, then zero-extended.
func (r *reg) signExtend32(size int) {
	r.signExtend(size)
	lo := *r
	*r = reg{typ: Scalar, vo: lo.vo.subreg()}
	r.markUnbounded()
	r.s32min, r.s32max = int32(lo.smin), int32(lo.smax)
	r.sync()
	r.zext32()
	r.sync()
}

func addOverflows64(a, b int64) (int64, bool) {
	s := a + b
	return s, (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0)
}

func subOverflows64(a, b int64) (int64, bool) {
	s := a - b
	return s, (a >= 0) != (b >= 0) && (s >= 0) != (a >= 0)
}

func addOverflows32(a, b int32) (int32, bool) {
	s := a + b
	return s, (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0)
}

func subOverflows32(a, b int32) (int32, bool) {
	s := a - b
	return s, (a >= 0) != (b >= 0) && (s >= 0) != (a >= 0)
}

func (d *reg) add32(s *reg) {
	a, o1 := addOverflows32(d.s32min, s.s32min)
	b, o2 := addOverflows32(d.s32max, s.s32max)
	if o1 || o2 {
		d.s32min, d.s32max = math.MinInt32, math.MaxInt32
	} else {
		d.s32min, d.s32max = a, b
	}
	ua, ub := d.u32min+s.u32min, d.u32max+s.u32max
	if ua < d.u32min || ub < d.u32max {
		d.u32min, d.u32max = 0, math.MaxUint32
	} else {
		d.u32min, d.u32max = ua, ub
	}
}

func (d *reg) add64(s *reg) {
	a, o1 := addOverflows64(d.smin, s.smin)
	b, o2 := addOverflows64(d.smax, s.smax)
	if o1 || o2 {
		d.smin, d.smax = math.MinInt64, math.MaxInt64
	} else {
		d.smin, d.smax = a, b
	}
	ua, ub := d.umin+s.umin, d.umax+s.umax
	if ua < d.umin || ub < d.umax {
		d.umin, d.umax = 0, math.MaxUint64
	} else {
		d.umin, d.umax = ua, ub
	}
}

func (d *reg) sub32(s *reg) {
	a, o1 := subOverflows32(d.s32min, s.s32max)
	b, o2 := subOverflows32(d.s32max, s.s32min)
	if o1 || o2 {
		d.s32min, d.s32max = math.MinInt32, math.MaxInt32
	} else {
		d.s32min, d.s32max = a, b
	}
	if d.u32min < s.u32max {
		d.u32min, d.u32max = 0, math.MaxUint32
	} else {
		d.u32min -= s.u32max
		d.u32max -= s.u32min
	}
}

func (d *reg) sub64(s *reg) {
	a, o1 := subOverflows64(d.smin, s.smax)
	b, o2 := subOverflows64(d.smax, s.smin)
	if o1 || o2 {
		d.smin, d.smax = math.MinInt64, math.MaxInt64
	} else {
		d.smin, d.smax = a, b
	}
	if d.umin < s.umax {
		d.umin, d.umax = 0, math.MaxUint64
	} else {
		d.umin -= s.umax
		d.umax -= s.umin
	}
}

func (d *reg) mul32(s *reg) {
	if s.s32min < 0 || d.s32min < 0 || s.u32max > math.MaxUint16 || d.u32max > math.MaxUint16 {
		d.mark32Unbounded()
		return
	}
	d.u32min *= s.u32min
	d.u32max *= s.u32max
	if d.u32max > math.MaxInt32 {
		d.s32min, d.s32max = math.MinInt32, math.MaxInt32
	} else {
		d.s32min, d.s32max = int32(d.u32min), int32(d.u32max)
	}
}

func (d *reg) mul64(s *reg) {
	if s.smin < 0 || d.smin < 0 || s.umax > math.MaxUint32 || d.umax > math.MaxUint32 {
		d.mark64Unbounded()
		return
	}
	d.umin *= s.umin
	d.umax *= s.umax
	if d.umax > math.MaxInt64 {
		d.smin, d.smax = math.MinInt64, math.MaxInt64
	} else {
		d.smin, d.smax = int64(d.umin), int64(d.umax)
	}
}

func (d *reg) signed32FromUnsigned() {
	if int32(d.u32min) <= int32(d.u32max) {
		d.s32min, d.s32max = int32(d.u32min), int32(d.u32max)
	} else {
		d.s32min, d.s32max = math.MinInt32, math.MaxInt32
	}
}

func (d *reg) signed64FromUnsigned() {
	if int64(d.umin) <= int64(d.umax) {
		d.smin, d.smax = int64(d.umin), int64(d.umax)
	} else {
		d.smin, d.smax = math.MinInt64, math.MaxInt64
	}
}

func (d *reg) and32(s *reg) {
	v := d.vo.subreg()
	if s.vo.subregIsConst() && d.vo.subregIsConst() {
		d.markKnown32(uint32(v.value))
		return
	}
	d.u32min = uint32(v.value)
	d.u32max = min(d.u32max, s.u32max)
	d.signed32FromUnsigned()
}

func (d *reg) and64(s *reg) {
	if s.vo.isConst() && d.vo.isConst() {
		d.markKnown(d.vo.value)
		return
	}
	d.umin = d.vo.value
	d.umax = min(d.umax, s.umax)
	d.signed64FromUnsigned()
	d.updateBounds()
}

func (d *reg) or32(s *reg) {
	v := d.vo.subreg()
	if s.vo.subregIsConst() && d.vo.subregIsConst() {
		d.markKnown32(uint32(v.value))
		return
	}
	d.u32min = max(d.u32min, s.u32min)
	d.u32max = uint32(v.value | v.mask)
	d.signed32FromUnsigned()
}

func (d *reg) or64(s *reg) {
	if s.vo.isConst() && d.vo.isConst() {
		d.markKnown(d.vo.value)
		return
	}
	d.umin = max(d.umin, s.umin)
	d.umax = d.vo.value | d.vo.mask
	d.signed64FromUnsigned()
	d.updateBounds()
}

func (d *reg) xor32(s *reg) {
	v := d.vo.subreg()
	if s.vo.subregIsConst() && d.vo.subregIsConst() {
		d.markKnown32(uint32(v.value))
		return
	}
	d.u32min = uint32(v.value)
	d.u32max = uint32(v.value | v.mask)
	d.signed32FromUnsigned()
}

func (d *reg) xor64(s *reg) {
	if s.vo.isConst() && d.vo.isConst() {
		d.markKnown(d.vo.value)
		return
	}
	d.umin = d.vo.value
	d.umax = d.vo.value | d.vo.mask
	d.signed64FromUnsigned()
	d.updateBounds()
}

func (d *reg) lsh32Bounds(umin, umax uint64) {
	d.s32min, d.s32max = math.MinInt32, math.MaxInt32
	if umax > 31 || uint64(d.u32max) > 1<<(31-umax) {
		d.u32min, d.u32max = 0, math.MaxUint32
	} else {
		d.u32min <<= umin
		d.u32max <<= umax
	}
}

func (d *reg) lsh32(s *reg) {
	umin, umax := uint64(s.u32min), uint64(s.u32max)
	sub := d.vo.subreg()
	d.lsh32Bounds(umin, umax)
	d.vo = sub.lsh(uint8(umin)).subreg()
	d.mark64Unbounded()
	d.updateBounds32()
}

func (d *reg) lsh64(s *reg) {
	umin, umax := s.umin, s.umax
	if umin == 32 && umax == 32 {
		d.smax = int64(d.s32max) << 32
		d.smin = int64(d.s32min) << 32
	} else {
		d.smin, d.smax = math.MinInt64, math.MaxInt64
	}
	if d.umax > 1<<(63-umax) {
		d.umin, d.umax = 0, math.MaxUint64
	} else {
		d.umin <<= umin
		d.umax <<= umax
	}
	d.lsh32Bounds(umin, umax)
	d.vo = d.vo.lsh(uint8(umin))
	d.updateBounds()
}

func (d *reg) rsh32(s *reg) {
	sub := d.vo.subreg()
	umin, umax := s.u32min, s.u32max
	d.s32min, d.s32max = math.MinInt32, math.MaxInt32
	d.vo = sub.rsh(uint8(umin))
	d.u32min >>= umax
	d.u32max >>= umin
	d.mark64Unbounded()
	d.updateBounds32()
}

func (d *reg) rsh64(s *reg) {
	umin, umax := s.umin, s.umax
	d.smin, d.smax = math.MinInt64, math.MaxInt64
	d.vo = d.vo.rsh(uint8(umin))
	d.umin >>= umax
	d.umax >>= umin
	d.mark32Unbounded()
	d.updateBounds()
}

func (d *reg) arsh32(s *reg) {
	umin := s.u32min
	d.s32min >>= umin
	d.s32max >>= umin
	d.vo = d.vo.subreg().arsh(uint8(umin), 32)
	d.u32min, d.u32max = 0, math.MaxUint32
	d.mark64Unbounded()
	d.updateBounds32()
}

func (d *reg) arsh64(s *reg) {
	umin := s.umin
	d.smin >>= umin
	d.smax >>= umin
	d.vo = d.vo.arsh(uint8(umin), 64)
	d.umin, d.umax = 0, math.MaxUint64
	d.mark32Unbounded()
	d.updateBounds()
}

// isConstForRange reports whether src is a constant in the operation's
// width, the precondition for shift ranges.
func srcIsConst(s *reg, alu32 bool) bool {
	if alu32 {
		return s.vo.subregIsConst() && s.s32min == s.s32max && s.u32min == s.u32max
	}
	return s.vo.isConst() && s.smin == s.smax && s.umin == s.umax
}
