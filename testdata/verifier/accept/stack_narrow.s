# type: xdp
# expect: accept
r0 = 0
*(u64 *)(r10 -8) = r0
r0 = *(u8 *)(r10 -3)
exit
