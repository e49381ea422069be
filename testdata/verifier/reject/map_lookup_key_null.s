# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: R2 type=scalar expected=fp
r1 = map[fd:0]
r2 = 0
call bpf_map_lookup_elem
r0 = 0
exit
