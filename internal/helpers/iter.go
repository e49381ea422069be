package helpers

import (
	"encoding/binary"

	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// The numeric open-coded iterator (kernel/bpf/bpf_iter.c): kfuncs that
// every program type may call, by name from ELF objects. struct
// bpf_iter_num is 8 bytes on the program's stack: cur (int) at offset 0,
// end (int) at 4. Arithmetic on them is 32-bit and wraps, as the
// kernel's (built with -fno-strict-overflow) does.

// IterNumSize is sizeof(struct bpf_iter_num).
const IterNumSize = 8

// IterNumNew is bpf_iter_num_new(it, start, end): the range [start, end)
// (empty when start == end). start > end is -EINVAL, more than
// BPF_MAX_LOOPS iterations -E2BIG; the iterator is zeroed in both cases.
// The return value is a C int: its upper 32 bits are zero, as x86-64's
// 32-bit moves leave them.
func IterNumNew(env *vm.Env, it, start, end, _, _ uint64) (uint64, error) {
	b, err := env.Bytes(it, IterNumSize, true)
	if err != nil {
		return 0, err
	}
	s, e := int32(start), int32(end)
	switch {
	case s > e:
		setIterNum(b, 0, 0)
		return uint64(uint32(errno(einval))), nil
	case int64(e)-int64(s) > maxLoops:
		setIterNum(b, 0, 0)
		return uint64(uint32(errno(e2big))), nil
	}
	setIterNum(b, s-1, e)
	return 0, nil
}

// IterNumNext is bpf_iter_num_next(it): a pointer to the next value (the
// iterator's cur field), or NULL (0) once the range is done, which zeroes
// the iterator.
func IterNumNext(env *vm.Env, it, _, _, _, _ uint64) (uint64, error) {
	b, err := env.Bytes(it, IterNumSize, true)
	if err != nil {
		return 0, err
	}
	cur, end := int32(binary.LittleEndian.Uint32(b)), int32(binary.LittleEndian.Uint32(b[4:]))
	if int64(cur+1) >= int64(end) {
		setIterNum(b, 0, 0)
		return 0, nil
	}
	setIterNum(b, cur+1, end)
	return it, nil
}

// IterNumDestroy is bpf_iter_num_destroy(it): zeroes the iterator.
func IterNumDestroy(env *vm.Env, it, _, _, _, _ uint64) (uint64, error) {
	b, err := env.Bytes(it, IterNumSize, true)
	if err != nil {
		return 0, err
	}
	setIterNum(b, 0, 0)
	return 0, nil
}

func setIterNum(b []byte, cur, end int32) {
	binary.LittleEndian.PutUint32(b, uint32(cur))
	binary.LittleEndian.PutUint32(b[4:], uint32(end))
}
