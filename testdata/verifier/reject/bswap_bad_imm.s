# type: xdp
# expect: reject
# error: BPF_END uses reserved fields
r0 = 1
.insn op=0xd4 dst=0 src=0 off=0 imm=8
exit
