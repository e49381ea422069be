package helpers

import (
	"math"
	"syscall"

	"github.com/ebpfvm/ebpfvm/internal/mem"
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// strtoxBaseMask is BPF_STRTOX_BASE_MASK: the flags of bpf_strtol and
// bpf_strtoul hold the base in their low 5 bits and must have no others.
const strtoxBaseMask = 0x1f

// kernelSpace is the kernel's isspace: the ASCII white space characters
// and, in its Latin-1 ctype table, the no-break space 0xa0.
func kernelSpace(c byte) bool { return isSpace(c) || c == 0xa0 }

// parseULL parses buf as the kernel's __bpf_strtoull: leading white space,
// an optional '-', then at most 63 characters with the radix rules of
// _parse_integer_fixup_radix (base 0: "0x" followed by a hex digit means
// 16, a leading 0 means 8, else 10; base 16 skips a "0x"). It returns the
// number of characters consumed, or an errno.
func parseULL(buf []byte, flags uint64) (v uint64, neg bool, consumed int, e syscall.Errno) {
	base := flags & strtoxBaseMask
	if len(buf) == 0 {
		return 0, false, 0, einval
	}
	if base != 0 && base != 8 && base != 10 && base != 16 || flags&^strtoxBaseMask != 0 {
		return 0, false, 0, einval
	}
	i := 0
	for i < len(buf) && kernelSpace(buf[i]) {
		i++
	}
	if i < len(buf) && buf[i] == '-' {
		neg = true
		i++
	}
	if i == len(buf) {
		return 0, neg, 0, einval
	}
	// The kernel parses a NUL-terminated copy of at most 63 bytes.
	s := buf[i:min(len(buf), i+63)]
	if k := indexByte(s, 0); k >= 0 {
		s = s[:k]
	}
	p := 0
	if base == 0 {
		switch {
		case at(s, 0) != '0':
			base = 10
		case at(s, 1)|0x20 == 'x' && isHex(at(s, 2)):
			base = 16
		default:
			base = 8
		}
	}
	if base == 16 && at(s, 0) == '0' && at(s, 1)|0x20 == 'x' {
		p = 2
	}
	digits, overflow := 0, false
	for ; p < len(s); p++ {
		d := digitValue(s[p])
		if d >= base {
			break
		}
		if v>>60 != 0 && v > (math.MaxUint64-d)/base {
			overflow = true
		}
		v = v*base + d
		digits++
	}
	if overflow {
		return 0, neg, 0, erange
	}
	if digits == 0 {
		return 0, neg, 0, einval
	}
	return v, neg, i + p, 0
}

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

// digitValue is a digit's value in any base up to 16, or 16 for others.
func digitValue(c byte) uint64 {
	switch {
	case isDigit(c):
		return uint64(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return uint64(c|0x20-'a') + 10
	}
	return 16
}

// Strtol parses buf as bpf_strtol does. It returns the value, the number
// of bytes consumed, or a negative errno in n.
func Strtol(buf []byte, flags uint64) (v int64, n int64) {
	u, neg, c, e := parseULL(buf, flags)
	if e != 0 {
		return 0, -int64(e)
	}
	if neg {
		if int64(-u) > 0 {
			return 0, -int64(erange)
		}
		return int64(-u), int64(c)
	}
	if int64(u) < 0 {
		return 0, -int64(erange)
	}
	return int64(u), int64(c)
}

// Strtoul parses buf as bpf_strtoul does: like Strtol, but a '-' sign is
// -EINVAL.
func Strtoul(buf []byte, flags uint64) (v uint64, n int64) {
	u, neg, c, e := parseULL(buf, flags)
	if e != 0 {
		return 0, -int64(e)
	}
	if neg {
		return 0, -int64(einval)
	}
	return u, int64(c)
}

// bpf_strtol(buf, buf_len, flags, res): *res is set to 0 first, then to
// the value on success; the result is the number of characters consumed
// or a negative errno.
func strtol(env *vm.Env, buf, bufLen, flags, res, _ uint64) (uint64, error) {
	b, err := env.Bytes(buf, bufLen, false)
	if err != nil {
		return 0, err
	}
	out, err := env.Bytes(res, 8, true)
	if err != nil {
		return 0, err
	}
	clear(out)
	v, n := Strtol(b, flags)
	if n >= 0 {
		mem.Store64(res, uint64(v))
	}
	return uint64(n), nil
}

// bpf_strtoul(buf, buf_len, flags, res).
func strtoul(env *vm.Env, buf, bufLen, flags, res, _ uint64) (uint64, error) {
	b, err := env.Bytes(buf, bufLen, false)
	if err != nil {
		return 0, err
	}
	out, err := env.Bytes(res, 8, true)
	if err != nil {
		return 0, err
	}
	clear(out)
	v, n := Strtoul(b, flags)
	if n >= 0 {
		mem.Store64(res, v)
	}
	return uint64(n), nil
}

// bpf_strncmp(s1, s1_sz, s2): the kernel's strncmp(s1, s2, s1_sz), which
// returns -1, 0 or 1. s2 is a NUL-terminated string (read-only map memory
// in the kernel); it is read only as far as the comparison goes.
func strncmp(env *vm.Env, s1, s1Size, s2, _, _ uint64) (uint64, error) {
	s1Size = uint64(uint32(s1Size))
	a, err := env.Bytes(s1, s1Size, false)
	if err != nil {
		return 0, err
	}
	var avail uint64
	for i := range a {
		if avail == 0 {
			if avail = readable(env, s2+uint64(i)); avail == 0 {
				_, err := env.Bytes(s2+uint64(i), 1, false)
				return 0, err
			}
		}
		avail--
		c1, c2 := a[i], byte(mem.Load8(s2+uint64(i)))
		if c1 != c2 {
			if c1 < c2 {
				return uint64(math.MaxUint64), nil // -1
			}
			return 1, nil
		}
		if c1 == 0 {
			break
		}
	}
	return 0, nil
}
