# type: xdp
# expect: reject
# error: R2 tried to subtract pointer from scalar
r2 = 10
r2 -= r1
r0 = 0
exit
