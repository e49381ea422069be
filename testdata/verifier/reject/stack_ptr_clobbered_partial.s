# type: xdp
# expect: reject
# error: R1 invalid mem access 'scalar'
*(u64 *)(r10 -8) = r1
r2 = 0
*(u32 *)(r10 -8) = r2
r1 = *(u64 *)(r10 -8)
r0 = *(u32 *)(r1 +0)
exit
