# type: xdp
# map: prog_array key=4 value=4 entries=4
# expect: reject
# error: cannot pass map_type 3 into func bpf_map_update_elem#2
r1 = 0
*(u64 *)(r10 -8) = r1
r2 = r10
r2 += -8
r3 = r10
r3 += -8
r1 = map[fd:0]
r4 = 0
call bpf_map_update_elem
r0 = 0
exit
