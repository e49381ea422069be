# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: invalid access to packet, off=0 size=8, R3(id=0,off=0,r=0)
r3 = *(u32 *)(r1 +0)
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
r4 = 0
call bpf_map_update_elem
r0 = 0
exit
