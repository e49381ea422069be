# type: xdp
# expect: reject
# error: BPF_MOV uses reserved fields
r1 = 1
.insn op=0xbf dst=0 src=1 off=24 imm=0
exit
