# type: xdp
# expect: reject
# error: infinite loop detected at insn 1
r1 = 0
loop:
if r1 < 10 goto loop
r0 = 0
exit
