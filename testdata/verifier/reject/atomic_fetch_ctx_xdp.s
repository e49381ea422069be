# type: xdp
# expect: reject
# error: BPF_ATOMIC stores into R1 ctx is not allowed
r2 = 1
r2 = atomic_fetch_add((u32 *)(r1 +12), r2)
r0 = 0
exit
