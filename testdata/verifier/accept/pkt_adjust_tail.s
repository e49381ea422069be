# type: xdp
# expect: accept
r6 = r1
r2 = -4
call bpf_xdp_adjust_tail
r2 = *(u32 *)(r6 +0)
r3 = *(u32 *)(r6 +4)
r4 = r2
r4 += 1
if r4 > r3 goto out
r0 = *(u8 *)(r2 +0)
exit
out:
r0 = 2
exit
