# type: xdp
# map: array key=4 value=8 entries=1 flags=0x80
# expect: reject
# error: write into map forbidden, value_size=8 off=0 size=4
r1 = map[fd:0][0]+0
r2 = 0
*(u32 *)(r1 +0) = r2
r0 = 0
exit
