# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: accept
r6 = *(u32 *)(r1 +16)
r1 = map[fd:0]
r2 = 16
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto out
if r6 == 0 goto disc
r1 = r0
r2 = 0
call bpf_ringbuf_submit
goto out
disc:
r1 = r0
r2 = 0
call bpf_ringbuf_discard
out:
r0 = 0
exit
