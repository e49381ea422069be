# type: xdp
# expect: accept
r0 = r10
exit
