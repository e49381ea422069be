# type: xdp
# expect: accept
r0 = -7
r0 s/= 2
r1 = 3
r0 s%= r1
exit
