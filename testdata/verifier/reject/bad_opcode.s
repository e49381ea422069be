# type: xdp
# expect: reject
# error: unknown opcode ff
r0 = 0
.insn op=0xff dst=0 src=0 off=0 imm=0
exit
