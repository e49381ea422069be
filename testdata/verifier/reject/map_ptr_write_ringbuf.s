# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: only read from bpf_ringbuf_map is supported
r1 = map[fd:0]
r2 = 0
*(u32 *)(r1 +0) = r2
r0 = 0
exit
