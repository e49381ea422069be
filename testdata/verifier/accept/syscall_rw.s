# type: syscall
# expect: accept
r2 = *(u64 *)(r1 +0)
*(u64 *)(r1 +8) = r2
r0 = 0
exit
