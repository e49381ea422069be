# type: xdp
# map: array key=4 value=256 entries=1
# expect: accept
call bpf_get_prandom_u32
r0 &= 0x7f
r2 = (s8)r0
r1 = map[fd:0][0]+0
r1 += r2
r0 = *(u8 *)(r1 +0)
exit
