# type: sched_cls
# expect: reject
# error: invalid bpf_context access off=76 size=4
r2 = *(u32 *)(r1 +76)
*(u32 *)(r1 +76) = r2
r0 = 0
exit
