# type: xdp
# expect: reject
# error: jump out of range from insn 1 to 7
r0 = 0
goto +5
exit
