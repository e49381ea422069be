# type: xdp
# expect: reject
# error: BPF program is too large. Processed 1000001 insn
r6 = *(u32 *)(r1 +0)
r1 = 0
loop:
r1 += 1
if r1 != r6 goto loop
r0 = 0
exit
