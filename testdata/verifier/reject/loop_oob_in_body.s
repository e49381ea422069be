# type: xdp
# expect: reject
# error: invalid read from stack R3 off=0 size=1
r1 = 0
r2 = 0
*(u64 *)(r10 -8) = r2
loop:
r3 = r10
r3 += r1
r0 = *(u8 *)(r3 -8)
r1 += 1
if r1 < 9 goto loop
r0 = 0
exit
