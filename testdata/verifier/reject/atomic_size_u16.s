# type: xdp
# expect: reject
# error: invalid atomic operand size
r1 = 0
*(u64 *)(r10 -8) = r1
r1 = 1
.insn op=0xcb dst=10 src=1 off=-8 imm=0
r0 = 0
exit
