# type: xdp
# expect: accept
r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r4 = r2
r4 += 6
if r4 > r3 goto out
r5 = 0xff
*(u8 *)(r2 +5) = r5
r0 = 2
exit
out:
r0 = 1
exit
