# type: xdp
# expect: accept
r0 = *(s32 *)(r1 +12)
r0 = 0
exit
