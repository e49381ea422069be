# type: xdp
# expect: reject
# error: invalid read from stack R10 off=8 size=8
call f
r0 = 0
exit
f:
r0 = *(u64 *)(r10 +8)
exit
