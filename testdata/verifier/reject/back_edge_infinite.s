# type: xdp
# expect: reject
# error: infinite loop detected at insn 1
r0 = 0
loop:
goto loop
