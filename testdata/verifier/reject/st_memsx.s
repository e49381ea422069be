# type: xdp
# expect: reject
# error: unknown opcode 9a
.insn op=0x9a dst=10 src=0 off=-8 imm=0
r0 = 0
exit
