# type: xdp
# expect: accept
call f
r0 = *(u32 *)(r0 +16)
exit
f:
r0 = r1
exit
