# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: R2 type=ctx expected=
r2 = r1
r1 = map[fd:0]
call bpf_map_lookup_elem
r0 = 0
exit
