# type: xdp
# expect: reject
# error: unknown opcode 99
r1 = 0
*(u64 *)(r10 -8) = r1
.insn op=0x99 dst=0 src=10 off=-8 imm=0
exit
