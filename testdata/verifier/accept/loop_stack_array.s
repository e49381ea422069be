# type: xdp
# expect: accept
r1 = 0
loop:
r2 = r10
r2 += -32
r3 = r1
r3 <<= 3
r2 += r3
r4 = 0
*(u64 *)(r2 +0) = r4
r1 += 1
if r1 < 4 goto loop
r0 = *(u64 *)(r10 -32)
exit
