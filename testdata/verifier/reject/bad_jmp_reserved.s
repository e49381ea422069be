# type: xdp
# expect: reject
# error: BPF_JMP/JMP32 uses reserved fields
r0 = 0
.insn op=0x15 dst=0 src=1 off=0 imm=0
exit
