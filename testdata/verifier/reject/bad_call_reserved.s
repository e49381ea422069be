# type: xdp
# expect: reject
# error: BPF_CALL uses reserved fields
.insn op=0x85 dst=1 src=0 off=0 imm=5
r0 = 0
exit
