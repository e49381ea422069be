# type: xdp
# map: array key=4 value=16 entries=1
# expect: reject
# error: misaligned value access
r1 = map[fd:0][0]+0
r2 = 1
lock *(u64 *)(r1 +4) += r2
r0 = 0
exit
