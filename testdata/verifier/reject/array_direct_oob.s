# type: xdp
# map: array key=4 value=8 entries=1
# expect: reject
# error: invalid access to map value, value_size=8 off=4 size=8
r1 = map[fd:0][0]+4
r0 = *(u64 *)(r1 +0)
exit
