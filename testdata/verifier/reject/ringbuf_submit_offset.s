# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: R1 must have zero offset when passed to release func or trusted arg to kfunc
r1 = map[fd:0]
r2 = 16
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +4
r1 = r0
r1 += 8
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
