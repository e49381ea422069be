# type: xdp
# expect: reject
# error: the call stack of 9 frames is too deep
r0 = 0
call f1
exit
f1:
call f2
r0 = 0
exit
f2:
call f3
r0 = 0
exit
f3:
call f4
r0 = 0
exit
f4:
call f5
r0 = 0
exit
f5:
call f6
r0 = 0
exit
f6:
call f7
r0 = 0
exit
f7:
call f8
r0 = 0
exit
f8:
r0 = 0
exit
