# type: xdp
# map: hash key=4 value=8 entries=16
# expect: reject
# error: math between map_value pointer and register with unbounded min value is not allowed
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = *(u64 *)(r0 +0)
if r1 s> 7 goto out
r0 += r1
r0 = *(u8 *)(r0 +0)
exit
out:
r0 = 0
exit
