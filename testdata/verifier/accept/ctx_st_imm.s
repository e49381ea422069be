# type: sched_cls
# expect: accept
*(u32 *)(r1 +48) = 1
r0 = 0
exit
