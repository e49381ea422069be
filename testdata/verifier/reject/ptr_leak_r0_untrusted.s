# type: socket_filter
# mode: untrusted
# expect: reject
# error: R0 leaks addr as return value
r0 = r10
exit
