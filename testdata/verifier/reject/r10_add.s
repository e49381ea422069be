# type: xdp
# expect: reject
# error: frame pointer is read only
r10 += 8
r0 = 0
exit
