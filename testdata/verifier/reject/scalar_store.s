# type: xdp
# expect: reject
# error: R1 invalid mem access 'scalar'
r1 = 4096
r0 = 0
*(u32 *)(r1 +0) = r0
exit
