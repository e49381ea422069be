# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: R2 is not a known constant'
r2 = *(u32 *)(r1 +16)
r2 &= 63
r1 = map[fd:0]
r3 = 0
call bpf_ringbuf_reserve
r0 = 0
exit
