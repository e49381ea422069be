# type: xdp
# map: array key=4 value=8 entries=1
# expect: accept
r1 = map[fd:0][0]+4
r0 = *(u32 *)(r1 +0)
exit
