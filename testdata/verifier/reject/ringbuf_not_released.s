# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: Unreleased reference id=2 alloc_insn=4
r1 = map[fd:0]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
r0 = 0
exit
