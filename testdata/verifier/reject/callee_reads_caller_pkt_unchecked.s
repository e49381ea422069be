# type: xdp
# expect: reject
# error: invalid access to packet, off=0 size=1, R1(id=0,off=0,r=0)
r1 = *(u32 *)(r1 +0)
call f
exit
f:
r0 = *(u8 *)(r1 +0)
exit
