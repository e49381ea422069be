# type: xdp
# expect: reject
# error: invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)
r2 = *(u32 *)(r1 +8)
r0 = *(u8 *)(r2 +0)
exit
