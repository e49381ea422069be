# type: xdp
# map: array key=4 value=8 entries=1
# expect: reject
# error: invalid access to map value pointer, value_size=8 off=8
r1 = map[fd:0][0]+8
r0 = 0
exit
