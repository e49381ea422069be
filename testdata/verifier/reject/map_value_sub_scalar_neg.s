# type: xdp
# map: array key=4 value=16 entries=1
# expect: reject
# error: invalid access to map value, value_size=16 off=-4 size=4
r1 = map[fd:0][0]+8
r1 += -12
r0 = *(u32 *)(r1 +0)
exit
