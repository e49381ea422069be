# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: invalid access to map value, value_size=8 off=7 size=4
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u32 *)(r0 +0)
r1 &= 3
r0 += r1
r0 = *(u32 *)(r0 +4)
exit
out:
r0 = 0
exit
