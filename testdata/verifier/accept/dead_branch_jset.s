# type: xdp
# expect: accept
r0 = 0
r1 = 4
if r1 & 4 goto +1
r0 = *(u64 *)(r0 +0)
exit
