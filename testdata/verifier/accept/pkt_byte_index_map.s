# type: xdp
# map: array key=4 value=1024 entries=1
# expect: accept
r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r4 = r2
r4 += 1
if r4 > r3 goto out
r5 = *(u8 *)(r2 +0)
r5 <<= 2
r1 = map[fd:0][0]+0
r1 += r5
r0 = *(u32 *)(r1 +0)
exit
out:
r0 = 0
exit
