# type: xdp
# expect: reject
# error: BPF_ATOMIC uses invalid atomic opcode 10
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = 1
.insn op=0xdb dst=10 src=1 off=-8 imm=0x10
r0 = 0
exit
