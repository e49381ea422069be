# type: xdp
# expect: accept
r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r4 = r2
r4 += 8
if r4 > r3 goto out
*(u64 *)(r10 -8) = r2
r2 = *(u64 *)(r10 -8)
r0 = *(u64 *)(r2 +0)
exit
out:
r0 = 0
exit
