# type: xdp
# expect: accept
r2 = *(u32 *)(r1 +16)
r0 = 0
if w2 > 100 goto +1
r0 = r2
exit
