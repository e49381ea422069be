# type: xdp
# map: array key=4 value=8 entries=4
# expect: reject
# error: only read from bpf_array is supported
r1 = map[fd:0]
r2 = 0
*(u32 *)(r1 +0) = r2
r0 = 0
exit
