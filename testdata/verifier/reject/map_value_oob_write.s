# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: invalid access to map value, value_size=8 off=6 size=4
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto +2
r1 = 1
*(u32 *)(r0 +6) = r1
r0 = 0
exit
