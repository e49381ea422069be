# type: xdp
# map: array key=4 value=8 entries=1 flags=0x100
# map: hash key=4 value=8 entries=16
# expect: reject
# error: read from map forbidden
r2 = map[fd:0][0]+0
r1 = map[fd:1]
call bpf_map_lookup_elem
r0 = 0
exit
