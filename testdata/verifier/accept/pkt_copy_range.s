# type: xdp
# expect: accept
r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r6 = r2
r4 = r2
r4 += 8
if r4 > r3 goto out
r0 = *(u64 *)(r6 +0)
exit
out:
r0 = 0
exit
