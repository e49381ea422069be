# type: xdp
# expect: accept
r0 = 0x1234
r0 = be16 r0
exit
