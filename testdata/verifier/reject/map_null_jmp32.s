# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: R0 invalid mem access 'map_value_or_null'
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if w0 == 0 goto +1
r0 = *(u64 *)(r0 +0)
r0 = 0
exit
