# type: xdp
# expect: reject
# error: last insn is not an exit or jmp
r0 = 0
