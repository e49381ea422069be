# type: xdp
# expect: reject
# error: R2 invalid mem access 'scalar'
r2 = 8
r1 = 1
lock *(u64 *)(r2 +0) += r1
r0 = 0
exit
