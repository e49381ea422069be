# type: xdp
# expect: reject
# error: R1 pointer += pointer prohibited
r2 = r10
r1 += r2
r0 = 0
exit
