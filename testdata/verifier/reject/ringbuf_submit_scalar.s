# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: R1 type=fp expected=ringbuf_mem
r1 = r10
r1 += -8
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
