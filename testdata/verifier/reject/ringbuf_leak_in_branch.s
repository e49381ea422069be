# type: socket_filter
# mode: untrusted
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: invalid read from stack R10 off=-4 size=4
r1 = map[fd:0]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +6
r6 = *(u32 *)(r10 -4)
r1 = r0
r2 = 0
call bpf_ringbuf_discard
r0 = 0
exit
r0 = 0
exit
