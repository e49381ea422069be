package helpers

import (
	"github.com/ebpfvm/ebpfvm/internal/vm"
)

// maxLoops is BPF_MAX_LOOPS, the most iterations bpf_loop accepts.
const maxLoops = 1 << 23

// bpf_loop(nr_loops, callback_fn, callback_ctx, flags) calls
// callback_fn(index, callback_ctx) for index 0, 1, ... nr_loops-1, and
// stops early when the callback returns non-zero (the verifier allows 0
// and 1). It returns the number of calls made; -EINVAL for non-zero flags,
// -E2BIG for more than 1<<23 loops.
func loop(env *vm.Env, nrLoops, fn, ctx, flags, _ uint64) (uint64, error) {
	if flags != 0 {
		return errno(einval), nil
	}
	n := uint32(nrLoops)
	if n > maxLoops {
		return errno(e2big), nil
	}
	for i := uint32(0); i < n; i++ {
		r, err := env.Call(fn, [5]uint64{uint64(i), ctx})
		if err != nil {
			return 0, err
		}
		if r != 0 {
			return uint64(i) + 1, nil
		}
	}
	return uint64(n), nil
}
