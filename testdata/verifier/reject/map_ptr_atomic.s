# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: only read from bpf_htab is supported
r1 = map[fd:0]
r2 = 1
lock *(u64 *)(r1 +0) += r2
r0 = 0
exit
