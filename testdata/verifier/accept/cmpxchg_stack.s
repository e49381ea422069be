# type: xdp
# expect: accept
r1 = 0
*(u64 *)(r10 -8) = r1
r0 = 0
r1 = 5
r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)
exit
