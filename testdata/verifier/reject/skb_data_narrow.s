# type: sched_cls
# expect: reject
# error: invalid bpf_context access off=76 size=2
r0 = *(u16 *)(r1 +76)
exit
