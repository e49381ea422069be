# type: xdp
# expect: accept
r2 = *(u32 *)(r1 +16)
r0 = 0
if r2 & 0x80 goto out
r0 = r2
out:
exit
