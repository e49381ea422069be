# type: sched_cls
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: BPF_LD_[ABS|IND] would lead to reference leak
r6 = r1
r1 = map[fd:0]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +4
r7 = r0
r0 = *(u8 *)skb[0]
r1 = r7
r2 = 0
call bpf_ringbuf_discard
r0 = 0
exit
