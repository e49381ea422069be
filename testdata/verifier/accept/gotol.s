# type: xdp
# expect: accept
r0 = 0
if r0 == 0 goto +1
gotol +1
r0 = 1
exit
