# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: R0 pointer arithmetic on map_value_or_null prohibited, null-check it first
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
r0 += 8
r0 = 0
exit
