# type: xdp
# expect: reject
# error: R2 offset is outside of the packet
r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r4 = r2
r4 += 4
if r4 > r3 goto out
r5 = *(u32 *)(r2 +0)
r2 += r5
r4 = r2
r4 += 4
if r4 > r3 goto out
r0 = *(u32 *)(r2 +0)
exit
out:
r0 = 0
exit
