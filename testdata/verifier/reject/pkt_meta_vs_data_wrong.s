# type: xdp
# expect: reject
# error: invalid access to packet, off=0 size=8, R2(id=0,off=0,r=4)
r2 = *(u32 *)(r1 +8)
r3 = *(u32 *)(r1 +0)
r4 = r2
r4 += 4
if r4 > r3 goto out
r0 = *(u64 *)(r2 +0)
exit
out:
r0 = 0
exit
