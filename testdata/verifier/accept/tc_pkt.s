# type: sched_cls
# expect: accept
r2 = *(u32 *)(r1 +76)
r3 = *(u32 *)(r1 +80)
r4 = r2
r4 += 14
if r4 > r3 goto +2
r0 = *(u16 *)(r2 +12)
exit
r0 = 0
exit
