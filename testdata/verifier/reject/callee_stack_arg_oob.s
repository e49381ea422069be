# type: xdp
# expect: reject
# error: invalid read from stack R1 off=0 size=8
r1 = r10
r1 += -8
r2 = 0
*(u64 *)(r10 -8) = r2
call f
r0 = 0
exit
f:
r0 = *(u64 *)(r1 +8)
exit
