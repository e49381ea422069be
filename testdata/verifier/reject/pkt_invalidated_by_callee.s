# type: xdp
# expect: reject
# error: R7 invalid mem access 'scalar'
r6 = r1
r7 = *(u32 *)(r6 +0)
r3 = *(u32 *)(r6 +4)
r4 = r7
r4 += 4
if r4 > r3 goto out
r1 = r6
call f
r0 = *(u32 *)(r7 +0)
out:
r0 = 0
exit
f:
r2 = 4
call bpf_xdp_adjust_head
r0 = 0
exit
