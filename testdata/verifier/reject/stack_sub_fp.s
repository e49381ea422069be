# type: xdp
# expect: reject
# error: R2 subtraction from stack pointer prohibited
r2 = r10
r2 -= 8
r0 = 0
exit
