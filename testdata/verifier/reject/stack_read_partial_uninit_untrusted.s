# type: socket_filter
# mode: untrusted
# expect: reject
# error: invalid read from stack off -8+4 size 8
r0 = 0
*(u32 *)(r10 -8) = r0
r0 = *(u64 *)(r10 -8)
exit
