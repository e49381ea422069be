# type: xdp
# expect: reject
# error: jump into the middle of ldimm64 insn 2
r0 = 0
if r0 == 0 goto +1
r1 = 0x1122334455667788 ll
exit
