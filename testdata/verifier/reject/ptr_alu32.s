# type: xdp
# expect: reject
# error: R1 32-bit pointer arithmetic prohibited
w1 += 1
r0 = 0
exit
