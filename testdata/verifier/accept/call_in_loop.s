# type: xdp
# expect: accept
r6 = 0
loop:
r1 = r6
call f
r6 += 1
if r6 < 4 goto loop
r0 = 0
exit
f:
r0 = r1
exit
