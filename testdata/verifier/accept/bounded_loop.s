# type: xdp
# expect: accept
r1 = 0
loop:
r1 += 1
if r1 < 100 goto loop
r0 = 0
exit
