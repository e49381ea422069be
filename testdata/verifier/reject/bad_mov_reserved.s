# type: xdp
# expect: reject
# error: BPF_MOV uses reserved fields
.insn op=0xb7 dst=0 src=1 off=0 imm=0
exit
