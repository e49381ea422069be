# type: xdp
# expect: reject
# error: invalid variable-offset write to stack R3
r2 = *(u32 *)(r1 +16)
r2 &= 0xff
r3 = r10
r3 += -8
r3 += r2
r0 = 0
*(u8 *)(r3 +0) = r0
exit
