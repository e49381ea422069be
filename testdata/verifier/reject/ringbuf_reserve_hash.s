# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: cannot pass map_type 1 into func bpf_ringbuf_reserve#131
r1 = map[fd:0]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
r0 = 0
exit
