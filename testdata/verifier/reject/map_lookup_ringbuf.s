# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: invalid zero-sized read
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
r0 = 0
exit
