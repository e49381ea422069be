# type: xdp
# map: array key=4 value=8 entries=4
# expect: reject
# error: R0 invalid mem access 'map_value_or_null'
r1 = 4
*(u64 *)(r10 -8) = r1
r2 = r10
r2 += -8
r1 = map[fd:0]
call bpf_map_lookup_elem
r0 = *(u32 *)(r0 +0)
exit
