# type: xdp
# map: array key=4 value=16 entries=1
# expect: reject
# error: R0 invalid mem access 'map_value_or_null'
call bpf_get_prandom_u32
if r0 > 5 goto big
r1 = 0
*(u64 *)(r10 -8) = r1
r9 = 0
r9 = 1
r9 = 2
r9 = 3
r9 = 4
r9 = 5
r9 = 6
r9 = 7
r9 = 8
r9 = 9
goto join
big:
r1 = 5
*(u64 *)(r10 -8) = r1
join:
r2 = r10
r2 += -8
r1 = map[fd:0]
call bpf_map_lookup_elem
r0 = *(u32 *)(r0 +0)
r0 = 0
exit
