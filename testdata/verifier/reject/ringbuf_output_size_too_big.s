# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: invalid read from stack R2 off=-8 size=15
r6 = *(u32 *)(r1 +16)
r6 &= 15
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = map[fd:0]
r2 = r10
r2 += -8
r3 = r6
r4 = 0
call bpf_ringbuf_output
r0 = 0
exit
