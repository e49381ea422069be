# type: xdp
# map: array key=4 value=16 entries=4
# expect: accept
r1 = 2
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto +2
r0 = *(u64 *)(r0 +8)
exit
r0 = 0
exit
