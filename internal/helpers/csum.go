package helpers

import (
	"encoding/binary"

	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// csumPartial is the kernel's csum_partial on x86-64: the ones' complement
// sum of the buffer as little-endian 64-bit words (the last one padded
// with zeros) and the 32-bit seed, folded to 32 bits. Its value, not only
// its class modulo 0xffff, matches the kernel's: an end-around-carry sum is
// 0 only when everything added is 0, and otherwise the unique value in
// [1, 2^32-1] congruent to the total modulo 2^32-1.
func csumPartial(b []byte, seed uint32) uint32 {
	sum := uint64(seed)
	add := func(w uint64) {
		s := sum + w
		if s < sum {
			s++ // end-around carry
		}
		sum = s
	}
	for len(b) >= 8 {
		add(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	if len(b) > 0 {
		var tail [8]byte
		copy(tail[:], b)
		add(binary.LittleEndian.Uint64(tail[:]))
	}
	hi, lo := uint32(sum>>32), uint32(sum)
	r := lo + hi
	if r < lo {
		r++
	}
	return r
}

// CsumAdd is the kernel's csum_add: a 32-bit end-around-carry addition
// (the packet helpers' checksum updates use it too).
func CsumAdd(a, b uint32) uint32 {
	r := a + b
	if r < a {
		r++
	}
	return r
}

// csumFrom32To16 is the kernel's csum_from32to16: the sum of the two
// halves with the carry folded back, not complemented.
func csumFrom32To16(x uint32) uint16 {
	x += x>>16 | x<<16
	return uint16(x >> 16)
}

// CsumDiff computes bpf_csum_diff as Linux 6.13 and later do (commit
// "bpf: bpf_csum_diff: optimize and homogenize for all archs"): the
// 32-bit ones' complement sum of to, minus that of from, plus the seed,
// folded to 16 bits (not complemented). The sizes need not be multiples
// of 4 any more and nothing is -EINVAL. Kernels before 6.13 returned the
// unfolded 32-bit sum (architecture-dependent) and rejected sizes that
// were not multiples of 4 or added up to more than 512 bytes.
func CsumDiff(from, to []byte, seed uint32) uint64 {
	sum := seed
	switch {
	case len(from) > 0 && len(to) > 0:
		sum = CsumAdd(csumPartial(to, seed), ^csumPartial(from, 0))
	case len(to) > 0:
		sum = csumPartial(to, seed)
	case len(from) > 0:
		sum = ^csumPartial(from, ^seed)
	}
	return uint64(csumFrom32To16(sum))
}

// bpf_csum_diff(from, from_size, to, to_size, seed).
func csumDiff(env *vm.Env, from, fromSize, to, toSize, seed uint64) (uint64, error) {
	f, err := env.Bytes(from, uint64(uint32(fromSize)), false)
	if err != nil {
		return 0, err
	}
	t, err := env.Bytes(to, uint64(uint32(toSize)), false)
	if err != nil {
		return 0, err
	}
	return CsumDiff(f, t, uint32(seed)), nil
}
