# type: sched_cls
# expect: reject
# error: helper access to the packet is not allowed
r3 = *(u32 *)(r1 +76)
r2 = 0
r4 = 4
call bpf_skb_load_bytes
r0 = 0
exit
