# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: invalid access to packet, off=0 size=4, R2(id=0,off=0,r=0)
r2 = *(u32 *)(r1 +0)
r1 = map[fd:0]
call bpf_map_lookup_elem
r0 = 0
exit
