# type: xdp
# expect: reject
# error: R2 invalid mem access 'scalar'
r6 = r1
r2 = *(u32 *)(r6 +0)
r3 = *(u32 *)(r6 +4)
r4 = r2
r4 += 4
if r4 > r3 goto out
*(u64 *)(r10 -8) = r2
r1 = r6
r2 = 4
call bpf_xdp_adjust_head
r2 = *(u64 *)(r10 -8)
r0 = *(u32 *)(r2 +0)
out:
r0 = 0
exit
