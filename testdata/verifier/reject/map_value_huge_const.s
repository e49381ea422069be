# type: xdp
# map: array key=4 value=8 entries=1
# expect: reject
# error: math between map_value pointer and 536870912 is not allowed
r1 = map[fd:0][0]+0
r1 += 0x20000000
r0 = 0
exit
