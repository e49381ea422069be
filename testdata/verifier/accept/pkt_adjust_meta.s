# type: xdp
# expect: accept
r6 = r1
r2 = -4
call bpf_xdp_adjust_meta
r2 = *(u32 *)(r6 +8)
r3 = *(u32 *)(r6 +0)
r4 = r2
r4 += 4
if r4 > r3 goto out
r5 = 1
*(u32 *)(r2 +0) = r5
out:
r0 = 2
exit
