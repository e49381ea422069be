# type: xdp
# expect: reject
# error: variable ctx access var_off=(0x0; 0x4) disallowed
r2 = *(u32 *)(r1 +16)
r2 &= 4
r1 += r2
r0 = *(u32 *)(r1 +0)
exit
