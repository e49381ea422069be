# type: xdp
# map: array key=4 value=16 entries=1
# expect: reject
# error: invalid access to map value, value_size=16 off=16 size=1
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r6 = r0
call bpf_get_prandom_u32
if r0 > 100 goto big
r7 = 0
*(u64 *)(r10 -16) = r7
goto join
big:
r7 = 16
*(u64 *)(r10 -16) = r7
join:
r7 = 0
r1 = r6
r2 = r10
r2 += -16
call deref
out:
r0 = 0
exit
deref:
r3 = *(u64 *)(r2 +0)
r1 += r3
r0 = *(u8 *)(r1 +0)
r0 = 0
exit
