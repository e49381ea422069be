# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: R6 invalid mem access 'scalar'
r1 = map[fd:0]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +8
*(u64 *)(r10 -8) = r0
r1 = r0
r2 = 0
call bpf_ringbuf_submit
r6 = *(u64 *)(r10 -8)
r1 = 0
*(u64 *)(r6 +0) = r1
r0 = 0
exit
