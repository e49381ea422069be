# type: xdp
# map: array key=4 value=16 entries=1
# expect: reject
# error: math between map_value pointer and register with unbounded min value is not allowed
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r9 = r0
call bpf_get_prandom_u32
r6 = r0
r7 = r0
call bpf_get_prandom_u32
if r0 > 10 goto other
r8 = 0
r8 = 1
r8 = 2
r8 = 3
r8 = 4
r8 = 5
r8 = 6
r8 = 7
r8 = 8
r8 = 9
goto check
other:
r6 = r0
check:
if r6 > 15 goto out
r9 += r7
r0 = *(u8 *)(r9 +0)
out:
r0 = 0
exit
