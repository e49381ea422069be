# type: xdp
# map: array key=4 value=8 entries=1
# expect: reject
# error: R1 type=map_value expected=ringbuf_mem
r1 = map[fd:0][0]+0
r2 = 0
call bpf_ringbuf_discard
r0 = 0
exit
