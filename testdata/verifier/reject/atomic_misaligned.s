# type: xdp
# expect: reject
# error: misaligned stack access off 0+0+-6 size 4
r0 = 0
*(u64 *)(r10 -8) = r0
r1 = 1
lock *(u32 *)(r10 -6) += r1
r0 = 0
exit
