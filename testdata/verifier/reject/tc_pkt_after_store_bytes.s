# type: sched_cls
# expect: reject
# error: R7 invalid mem access 'scalar'
r6 = r1
r7 = *(u32 *)(r6 +76)
r8 = *(u32 *)(r6 +80)
r2 = r7
r2 += 4
if r2 > r8 goto +9
r1 = 0
*(u32 *)(r10 -4) = r1
r1 = r6
r2 = 0
r3 = r10
r3 += -4
r4 = 4
r5 = 0
call bpf_skb_store_bytes
r0 = *(u32 *)(r7 +0)
r0 = 0
exit
