# type: socket_filter
# mode: untrusted
# expect: reject
# error: attempt to corrupt spilled pointer on stack
*(u64 *)(r10 -8) = r1
r0 = 0
*(u32 *)(r10 -8) = r0
exit
