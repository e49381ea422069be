# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: R0 invalid mem access 'ringbuf_mem_or_null'
r1 = map[fd:0]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
r1 = 0
*(u64 *)(r0 +0) = r1
r1 = r0
r2 = 0
call bpf_ringbuf_submit
r0 = 0
exit
