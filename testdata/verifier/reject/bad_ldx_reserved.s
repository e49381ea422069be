# type: xdp
# expect: reject
# error: BPF_LDX uses reserved fields
.insn op=0x61 dst=0 src=1 off=0 imm=1
exit
