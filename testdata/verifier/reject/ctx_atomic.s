# type: sched_cls
# expect: reject
# error: BPF_ATOMIC stores into R1 ctx is not allowed
r2 = 1
lock *(u32 *)(r1 +48) += r2
r0 = 0
exit
