# type: xdp
# expect: reject
# error: BPF_ALU uses reserved fields
r0 = 1
r1 = 1
.insn op=0x3f dst=0 src=1 off=2 imm=0
exit
