# type: sched_cls
# expect: accept
r6 = r1
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r6
r2 = 0
r3 = r10
r3 += -8
r4 = 8
r5 = 0
call bpf_skb_store_bytes
r0 = 0
exit
