# type: xdp
# expect: reject
# error: invalid read from stack R1 off=0 size=8
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call f
exit
f:
r0 = *(u64 *)(r1 +8)
exit
