# type: sched_cls
# map: queue key=0 value=8 entries=16
# expect: accept
r2 = *(u32 *)(r1 +76)
r3 = *(u32 *)(r1 +80)
r4 = r2
r4 += 8
if r4 > r3 goto out
r1 = map[fd:0]
r3 = 0
call bpf_map_push_elem
out:
r0 = 0
exit
