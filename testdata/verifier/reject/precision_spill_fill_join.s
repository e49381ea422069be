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
r7 = 0
if r0 > 100 goto big
r9 = 0
r9 = 1
r9 = 2
r9 = 3
r9 = 4
r9 = 5
r9 = 6
r9 = 7
r9 = 8
r9 = 9
goto join
big:
r7 = 16
join:
*(u64 *)(r10 -16) = r7
r7 = 0
call bpf_get_prandom_u32
if r0 > 5 goto next
r0 = 1
next:
r8 = *(u64 *)(r10 -16)
r6 += r8
r0 = *(u8 *)(r6 +0)
out:
r0 = 0
exit
