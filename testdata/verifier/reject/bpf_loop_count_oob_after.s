# type: xdp
# btf: func_info
# expect: reject
# error: invalid read from stack R2 off=0 size=8
# bpf_loop(3) increments a counter in the caller's stack; the caller then
# indexes a 3-slot array with it: after the third iteration the index is 3,
# one past the end. The counter is precise, so no widening or pruning may
# hide the third iteration.
r1 = 0
*(u64 *)(r10 -32) = r1
*(u64 *)(r10 -24) = r1
*(u64 *)(r10 -16) = r1
*(u64 *)(r10 -8) = r1
r1 = 3
r2 = subprog[cb]
r3 = r10
r3 += -32
r4 = 0
call bpf_loop
r1 = *(u64 *)(r10 -32)
r1 <<= 3
r2 = r10
r2 += -24
r2 += r1
r0 = *(u64 *)(r2 +0)
r0 = 0
exit
cb:
r1 = *(u64 *)(r2 +0)
r1 += 1
*(u64 *)(r2 +0) = r1
r0 = 0
exit
