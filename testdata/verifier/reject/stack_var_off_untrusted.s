# type: socket_filter
# mode: untrusted
# expect: reject
# error: R3 variable stack access prohibited for !root
r2 = *(u32 *)(r1 +0)
r2 &= 7
r3 = r10
r3 += -16
r3 += r2
r0 = 0
exit
