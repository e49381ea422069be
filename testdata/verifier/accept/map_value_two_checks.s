# type: xdp
# map: hash key=4 value=8 entries=16
# expect: accept
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u64 *)(r0 +0)
if r1 > 100 goto out
if r1 < 96 goto out
r1 -= 96
r0 += r1
r0 = *(u32 *)(r0 +0)
exit
out:
r0 = 0
exit
