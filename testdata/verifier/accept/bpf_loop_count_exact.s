# type: xdp
# btf: func_info
# expect: accept
# bpf_loop(2) whose callback increments a counter in the caller's stack; the
# caller then indexes a 3-slot array with it. The kernel unrolls exactly as
# many iterations as the count allows (callback_depth) and keeps the counter
# precise, so the indexes it sees (0, 1, 2) are all in bounds.
r1 = 0
*(u64 *)(r10 -32) = r1
*(u64 *)(r10 -24) = r1
*(u64 *)(r10 -16) = r1
*(u64 *)(r10 -8) = r1
r1 = 2
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
