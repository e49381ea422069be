# type: xdp
# expect: accept
r1 = 5
*(u64 *)(r10 -8) = r1
r1 = r10
r1 += -8
call f
exit
f:
r2 = 0
*(u64 *)(r10 -8) = r2
r2 = r10
r2 += -8
call g
exit
g:
r0 = *(u64 *)(r1 +0)
r3 = *(u64 *)(r2 +0)
r0 += r3
exit
