# type: xdp
# expect: accept
r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r4 = r2
r4 += 4
if r4 > r3 goto +2
r0 = *(u32 *)(r2 +0)
exit
r0 = 0
exit
