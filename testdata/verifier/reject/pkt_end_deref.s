# type: xdp
# expect: reject
# error: R2 invalid mem access 'pkt_end'
r2 = *(u32 *)(r1 +4)
r0 = *(u8 *)(r2 +0)
exit
