# type: xdp
# btf: func_info
# expect: reject
# error: invalid write to stack R4 off=0 size=8
# The callback writes buf[i] (two slots in the caller's stack) and then
# advances i, kept in the caller's stack: the third iteration writes past
# the end. Only exploring every iteration the count allows finds it.
r1 = 0
*(u64 *)(r10 -24) = r1
*(u64 *)(r10 -16) = r1
*(u64 *)(r10 -8) = r1
r1 = 10
r2 = subprog[cb]
r3 = r10
r3 += -24
r4 = 0
call bpf_loop
r0 = 0
exit
cb:
r3 = *(u64 *)(r2 +0)
r4 = r2
r4 += 8
r4 += r3
*(u64 *)(r4 +0) = r3
r3 += 8
*(u64 *)(r2 +0) = r3
r0 = 0
exit
