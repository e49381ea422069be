# type: xdp
# expect: reject
# error: R1 invalid mem access 'scalar'
r1 = 0
r0 = *(u64 *)(r1 +0)
exit
