# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: no direct value access support for this map type
r1 = map[fd:0][0]+0
r0 = *(u32 *)(r1 +0)
exit
