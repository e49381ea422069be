# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: accept
r1 = map[fd:0]
r2 = 0
call bpf_ringbuf_query
r0 = 0
exit
