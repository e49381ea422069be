# type: xdp
# map: queue key=0 value=8 entries=16
# expect: reject
# error: only read from bpf_queue_stack is supported
r1 = map[fd:0]
r2 = 0
*(u32 *)(r1 +0) = r2
r0 = 0
exit
