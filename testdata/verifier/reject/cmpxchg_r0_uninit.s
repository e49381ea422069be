# type: xdp
# expect: reject
# error: R0 !read_ok
r1 = 0
*(u64 *)(r10 -8) = r1
r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)
r0 = 0
exit
