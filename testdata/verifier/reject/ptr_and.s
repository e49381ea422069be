# type: xdp
# expect: reject
# error: R1 bitwise operator &= on pointer prohibited
r1 &= 0xff
r0 = 0
exit
