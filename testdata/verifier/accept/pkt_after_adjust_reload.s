# type: xdp
# expect: accept
r6 = r1
r2 = -14
call bpf_xdp_adjust_head
r2 = *(u32 *)(r6 +0)
r3 = *(u32 *)(r6 +4)
r4 = r2
r4 += 14
if r4 > r3 goto +2
r0 = *(u8 *)(r2 +13)
exit
r0 = 0
exit
