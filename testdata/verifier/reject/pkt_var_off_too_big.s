# type: xdp
# expect: reject
# error: invalid access to packet, off=0 size=1, R2(id=1,off=0,r=0)
r6 = r1
call bpf_get_prandom_u32
r2 = *(u32 *)(r6 +0)
r3 = *(u32 *)(r6 +4)
r0 &= 0x1ffff
r2 += r0
r4 = r2
r4 += 1
if r4 > r3 goto +1
r0 = *(u8 *)(r2 +0)
r0 = 0
exit
