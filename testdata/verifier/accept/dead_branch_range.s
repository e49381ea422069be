# type: xdp
# expect: accept
r1 = *(u32 *)(r1 +16)
r1 &= 7
r0 = 0
if r1 < 8 goto +1
r0 = *(u64 *)(r0 +0)
exit
