# type: xdp
# expect: reject
# error: R2 invalid mem access 'scalar'
r0 = 0
r1 = 4
if r1 & 4 goto +1
r0 = *(u64 *)(r0 +0)
r2 = 0
r2 = *(u64 *)(r2 +0)
exit
