# type: xdp
# expect: reject
# error: dereference of modified ctx ptr R1 off=4 disallowed
r1 += 4
r0 = *(u32 *)(r1 +0)
exit
