# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: invalid access to memory, mem_size=8 off=-8 size=8
r1 = map[fd:0]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
r1 = 0
*(u64 *)(r0 -8) = r1
r1 = r0
r2 = 0
call bpf_ringbuf_discard
out:
r0 = 0
exit
