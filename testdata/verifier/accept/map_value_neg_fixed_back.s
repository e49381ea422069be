# type: xdp
# map: hash key=4 value=8 entries=16
# expect: accept
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r0 += 6
r0 = *(u16 *)(r0 -2)
exit
out:
r0 = 0
exit
