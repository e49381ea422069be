# type: socket_filter
# mode: untrusted
# expect: reject
# error: R10 leaks addr into mem
r0 = 0
*(u64 *)(r10 -8) = r0
lock *(u64 *)(r10 -8) += r10
r0 = 0
exit
