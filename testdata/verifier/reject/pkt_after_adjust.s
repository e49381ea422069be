# type: xdp
# expect: reject
# error: R6 invalid mem access 'scalar'
r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r4 = r2
r4 += 4
if r4 > r3 goto out
r6 = r2
r1 = r1
r2 = 0
call bpf_xdp_adjust_head
r0 = *(u32 *)(r6 +0)
exit
out:
r0 = 0
exit
