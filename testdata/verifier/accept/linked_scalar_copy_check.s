# type: xdp
# map: array key=4 value=8 entries=1
# expect: accept
call bpf_get_prandom_u32
r2 = r0
if r2 > 7 goto out
r1 = map[fd:0][0]+0
r1 += r0
r0 = *(u8 *)(r1 +0)
exit
out:
r0 = 0
exit
