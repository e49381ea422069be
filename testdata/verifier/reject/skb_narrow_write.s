# type: sched_cls
# expect: reject
# error: invalid bpf_context access off=8 size=1
r2 = 1
*(u8 *)(r1 +8) = r2
r0 = 0
exit
