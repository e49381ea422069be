# type: socket_filter
# mode: untrusted
# expect: reject
# error: R1 leaks addr into ctx
*(u32 *)(r1 +48) = r1
r0 = 0
exit
