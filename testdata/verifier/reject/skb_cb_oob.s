# type: sched_cls
# expect: reject
# error: invalid bpf_context access off=64 size=8
r0 = *(u32 *)(r1 +68)
r0 = *(u64 *)(r1 +64)
exit
