# type: xdp
# expect: reject
# error: value -2147483648 makes fp pointer be out of bounds
r2 = *(u32 *)(r1 +16)
r3 = r10
r3 += -8
r4 = 0
*(u64 *)(r3 +0) = r4
r2 <<= 32
r2 s>>= 32
r3 += r2
r0 = *(u8 *)(r3 +0)
exit
