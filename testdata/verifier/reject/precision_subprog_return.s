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
call pick
r6 += r0
r0 = *(u8 *)(r6 +0)
out:
r0 = 0
exit
pick:
call bpf_get_prandom_u32
if r0 > 3 goto big
r0 = 0
r3 = 0
r3 = 1
r3 = 2
r3 = 3
r3 = 4
r3 = 5
r3 = 6
r3 = 7
r3 = 8
r3 = 9
goto done
big:
r0 = 16
done:
exit
