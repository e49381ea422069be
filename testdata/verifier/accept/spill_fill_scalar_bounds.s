# type: xdp
# map: hash key=4 value=8 entries=16
# expect: accept
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto +8
r1 = *(u32 *)(r0 +0)
r1 &= 7
*(u64 *)(r10 -16) = r1
r1 = 0
r1 = *(u64 *)(r10 -16)
r0 += r1
r0 = *(u8 *)(r0 +0)
exit
r0 = 0
exit
