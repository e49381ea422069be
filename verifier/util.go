package verifier

import (
	"fmt"
	"math"
)

const (
	minInt64  = math.MinInt64
	maxInt64  = math.MaxInt64
	maxUint64 = math.MaxUint64
)

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// hexC prints like C's "%#llx": "0" for zero, "0x..." otherwise.
func hexC(v uint64) string {
	if v == 0 {
		return "0"
	}
	return fmt.Sprintf("%#x", v)
}

// tnumString is the kernel's tnum_strn.
func tnumString(t tnum) string { return fmt.Sprintf("(%#x; %#x)", t.value, t.mask) }
