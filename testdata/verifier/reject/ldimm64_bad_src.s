# type: xdp
# expect: reject
# error: unrecognized bpf_ld_imm64 insn
.insn op=0x18 dst=1 src=7 off=0 imm=0
.insn op=0x00 dst=0 src=0 off=0 imm=0
r0 = 0
exit
