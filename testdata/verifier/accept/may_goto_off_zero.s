# type: xdp
# expect: accept
r0 = 0
.insn op=0xe5 dst=0 src=0 off=0 imm=0
exit
