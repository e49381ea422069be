# type: xdp
# map: array key=4 value=4 entries=1
# map: hash key=8 value=8 entries=16
# expect: reject
# error: invalid access to map value, value_size=4 off=0 size=8
r2 = map[fd:0][0]+0
r1 = map[fd:1]
call bpf_map_lookup_elem
r0 = 0
exit
