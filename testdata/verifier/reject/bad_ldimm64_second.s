# type: xdp
# expect: reject
# error: invalid bpf_ld_imm64 insn
.insn op=0x18 dst=0 src=0 off=0 imm=0
.insn op=0x01 dst=0 src=0 off=0 imm=0
exit
