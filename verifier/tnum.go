package verifier

import (
	"fmt"
	"math/bits"
)

// tnum is a tracked number: each bit is known 0, known 1 (value) or unknown
// (mask). The operations follow the algebra of the kernel's tnum.c: the
// result of an operation on two tnums contains every result of the
// operation on two values they contain.
type tnum struct {
	value, mask uint64
}

var tnumUnknown = tnum{0, ^uint64(0)}

func tnumConst(v uint64) tnum { return tnum{v, 0} }

// tnumRange is the smallest tnum that contains [min, max].
func tnumRange(min, max uint64) tnum {
	chi := min ^ max
	n := bits.Len64(chi)
	if n > 63 {
		return tnumUnknown
	}
	delta := uint64(1)<<n - 1
	return tnum{min &^ delta, delta}
}

func (a tnum) isConst() bool   { return a.mask == 0 }
func (a tnum) isUnknown() bool { return a.mask == ^uint64(0) }
func (a tnum) equalsConst(v uint64) bool {
	return a.mask == 0 && a.value == v
}

func (a tnum) lsh(s uint8) tnum { return tnum{a.value << s, a.mask << s} }
func (a tnum) rsh(s uint8) tnum { return tnum{a.value >> s, a.mask >> s} }

// arsh shifts arithmetically as a value of the given width (32 or 64).
func (a tnum) arsh(s uint8, width int) tnum {
	if width == 32 {
		return tnum{uint64(uint32(int32(uint32(a.value)) >> s)), uint64(uint32(int32(uint32(a.mask)) >> s))}
	}
	return tnum{uint64(int64(a.value) >> s), uint64(int64(a.mask) >> s)}
}

func tnumAdd(a, b tnum) tnum {
	sm := a.mask + b.mask
	sv := a.value + b.value
	sigma := sm + sv
	chi := sigma ^ sv
	mu := chi | a.mask | b.mask
	return tnum{sv &^ mu, mu}
}

func tnumSub(a, b tnum) tnum {
	dv := a.value - b.value
	alpha := dv + a.mask
	beta := dv - b.mask
	chi := alpha ^ beta
	mu := chi | a.mask | b.mask
	return tnum{dv &^ mu, mu}
}

func tnumAnd(a, b tnum) tnum {
	alpha := a.value | a.mask
	beta := b.value | b.mask
	v := a.value & b.value
	return tnum{v, alpha & beta &^ v}
}

func tnumOr(a, b tnum) tnum {
	v := a.value | b.value
	mu := a.mask | b.mask
	return tnum{v, mu &^ v}
}

func tnumXor(a, b tnum) tnum {
	v := a.value ^ b.value
	mu := a.mask | b.mask
	return tnum{v &^ mu, mu}
}

// tnumMul multiplies by summing shifted partial products (the kernel's
// "half-multiply add" scheme).
func tnumMul(a, b tnum) tnum {
	acc := tnum{a.value * b.value, 0}
	hma := func(acc tnum, value, mask uint64) tnum {
		for mask != 0 {
			if mask&1 != 0 {
				acc = tnumAdd(acc, tnum{0, value})
			}
			mask >>= 1
			value <<= 1
		}
		return acc
	}
	acc = hma(acc, a.mask, b.mask|b.value)
	return hma(acc, b.mask, a.value)
}

// tnumIntersect combines two facts about the same value.
func tnumIntersect(a, b tnum) tnum {
	v := a.value | b.value
	mu := a.mask & b.mask
	return tnum{v &^ mu, mu}
}

// cast keeps the low size bytes.
func (a tnum) cast(size int) tnum {
	if size >= 8 {
		return a
	}
	m := uint64(1)<<(size*8) - 1
	return tnum{a.value & m, a.mask & m}
}

func (a tnum) isAligned(size uint64) bool {
	if size == 0 {
		return true
	}
	return (a.value|a.mask)&(size-1) == 0
}

// contains reports whether every value of b is a value of a (tnum_in).
func (a tnum) contains(b tnum) bool {
	if b.mask&^a.mask != 0 {
		return false
	}
	return a.value == b.value&^a.mask
}

func (a tnum) subreg() tnum      { return a.cast(4) }
func (a tnum) clearSubreg() tnum { return a.rsh(32).lsh(32) }
func (a tnum) withSubreg(sub tnum) tnum {
	return tnumOr(a.clearSubreg(), sub.subreg())
}
func (a tnum) subregIsConst() bool { return uint32(a.mask) == 0 }

func (a tnum) String() string { return fmt.Sprintf("(%#x; %#x)", a.value, a.mask) }
