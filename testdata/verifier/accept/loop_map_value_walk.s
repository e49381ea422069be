# type: xdp
# map: array key=4 value=16 entries=1
# expect: accept
r1 = 0
*(u32 *)(r10 -4) = r1
r2 = r10
r2 += -4
r1 = map[fd:0]
call bpf_map_lookup_elem
if r0 == 0 goto out
r1 = 0
r6 = 0
loop:
r2 = r0
r2 += r1
r3 = *(u8 *)(r2 +0)
r6 += r3
r1 += 1
if r1 < 16 goto loop
r0 = r6
exit
out:
r0 = 0
exit
