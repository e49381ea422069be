# type: xdp
# map: ringbuf key=0 value=0 entries=4096
# expect: reject
# error: Unreleased reference id=2 alloc_insn=5
r6 = *(u32 *)(r1 +0)
r1 = map[fd:0]
r2 = 8
r3 = 0
call bpf_ringbuf_reserve
if r0 == 0 goto +6
if r6 == 0 goto +3
r1 = r0
r2 = 0
call bpf_ringbuf_discard
r0 = 0
exit
r0 = 0
exit
