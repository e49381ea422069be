# type: socket_filter
# expect: accept
r0 = *(u8 *)(r1 +0)
exit
