# type: xdp
# expect: reject
# error: R2 pointer arithmetic on pkt_end prohibited
r2 = *(u32 *)(r1 +4)
r2 += 1
r0 = 0
exit
