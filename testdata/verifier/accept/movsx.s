# type: xdp
# expect: accept
r1 = 0xff
r0 = (s8)r1
exit
