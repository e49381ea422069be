# type: xdp
# map: array key=4 value=8 entries=1
# expect: reject
# error: invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)
r2 = *(u32 *)(r1 +0)
r3 = map[fd:0][0]+0
if r2 > r3 goto +1
r0 = *(u8 *)(r2 +0)
r0 = 0
exit
