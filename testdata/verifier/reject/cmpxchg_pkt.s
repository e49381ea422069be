# type: xdp
# expect: reject
# error: BPF_ATOMIC stores into R2 pkt is not allowed
r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r4 = r2
r4 += 8
if r4 > r3 goto +3
r0 = 0
r1 = 1
r0 = atomic64_cmpxchg((u64 *)(r2 +0), r0, r1)
r0 = 0
exit
