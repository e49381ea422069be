# type: xdp
# expect: reject
# error: invalid may_goto imm 1
r0 = 0
.insn op=0xe5 dst=0 src=0 off=1 imm=1
r0 = 1
exit
