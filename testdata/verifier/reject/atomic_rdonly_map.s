# type: xdp
# map: array key=4 value=8 entries=1 flags=0x80
# expect: reject
# error: write into map forbidden, value_size=8 off=0 size=8
r1 = map[fd:0][0]+0
r2 = 1
lock *(u64 *)(r1 +0) += r2
r0 = 0
exit
