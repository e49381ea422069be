# type: xdp
# map: array key=4 value=8 entries=1 flags=0x100
# expect: reject
# error: read from map forbidden, value_size=8 off=0 size=4
r1 = map[fd:0][0]+0
r0 = *(u32 *)(r1 +0)
exit
