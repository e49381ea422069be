# type: xdp
# expect: accept
call f1
exit
f1:
call f2
r0 += 1
exit
f2:
call f3
r0 += 1
exit
f3:
r0 = 1
exit
