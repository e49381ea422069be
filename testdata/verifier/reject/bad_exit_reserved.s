# type: xdp
# expect: reject
# error: BPF_EXIT uses reserved fields
r0 = 0
.insn op=0x95 dst=1 src=0 off=0 imm=0
