# type: xdp
# expect: accept
r2 = *(u32 *)(r1 +16)
r2 &= 7
r3 = 0
*(u64 *)(r10 -16) = r3
*(u64 *)(r10 -8) = r3
r3 = r10
r3 += -16
r3 += r2
r0 = *(u8 *)(r3 +0)
exit
