# type: xdp
# expect: reject
# error: BPF_ALU uses reserved fields
.insn op=0x07 dst=0 src=1 off=0 imm=1
exit
