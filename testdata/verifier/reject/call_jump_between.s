# type: xdp
# expect: reject
# error: jump out of range from insn 2 to 3
call f
r0 = 0
goto f
f:
r0 = 0
exit
