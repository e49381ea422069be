# type: xdp
# expect: accept
r0 = 0
exit
