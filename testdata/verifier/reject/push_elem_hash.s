# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: cannot pass map_type 1 into func bpf_map_push_elem#87
r1 = 0
*(u64 *)(r10 -8) = r1
r2 = r10
r2 += -8
r1 = map[fd:0]
r3 = 0
call bpf_map_push_elem
r0 = 0
exit
