# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: R1 type=scalar expected=ringbuf_mem
r1 = map[fd:0]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +7
r6 = r0
r1 = r0
r2 = 0
call bpf_ringbuf_submit
r1 = r6
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
