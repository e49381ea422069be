# type: xdp
# expect: reject
# error: R2 invalid mem access 'scalar'
w2 = w1
r0 = *(u32 *)(r2 +0)
exit
