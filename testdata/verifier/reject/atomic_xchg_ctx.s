# type: xdp
# expect: reject
# error: BPF_ATOMIC stores into R1 ctx is not allowed
r2 = 1
r2 = atomic64_xchg((u64 *)(r1 +0), r2)
r0 = 0
exit
