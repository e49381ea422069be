# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: accept
r1 = map[fd:0]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +5
*(u64 *)(r10 -8) = r0
r1 = *(u64 *)(r10 -8)
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
