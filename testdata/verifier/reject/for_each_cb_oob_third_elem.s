# type: xdp
# map: array key=4 value=8 entries=16
# btf: func_info
# expect: reject
# error: invalid write to stack R5 off=0 size=8
# bpf_for_each_map_elem's callback writes buf[i] (two slots in the caller's
# stack) and advances i: the third element writes past the end.
r1 = 0
*(u64 *)(r10 -24) = r1
*(u64 *)(r10 -16) = r1
*(u64 *)(r10 -8) = r1
r1 = map[fd:0]
r2 = subprog[cb]
r3 = r10
r3 += -24
r4 = 0
call bpf_for_each_map_elem
r0 = 0
exit
cb:
r3 = *(u64 *)(r4 +0)
r5 = r4
r5 += 8
r5 += r3
*(u64 *)(r5 +0) = r3
r3 += 8
*(u64 *)(r4 +0) = r3
r0 = 0
exit
