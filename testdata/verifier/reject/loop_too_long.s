# type: xdp
# expect: reject
# error: BPF program is too large. Processed 1000001 insn
r1 = 0
loop:
r1 += 1
if r1 < 2000000 goto loop
r0 = 0
exit
