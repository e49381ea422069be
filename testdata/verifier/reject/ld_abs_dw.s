# type: socket_filter
# expect: reject
# error: unknown opcode 38
r6 = r1
.insn op=0x38 dst=0 src=0 off=0 imm=0
exit
