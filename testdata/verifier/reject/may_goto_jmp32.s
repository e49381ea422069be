# type: xdp
# expect: reject
# error: unknown opcode e6
r0 = 0
.insn op=0xe6 dst=0 src=0 off=1 imm=0
r0 = 1
exit
