# type: xdp
# map: hash key=4 value=8 entries=16
# expect: accept
r2 = *(u32 *)(r1 +0)
r3 = *(u32 *)(r1 +4)
r4 = r2
r4 += 8
if r4 > r3 goto out
r3 = r2
r1 = map[fd:0]
r4 = 0
call bpf_map_update_elem
out:
r0 = 0
exit
