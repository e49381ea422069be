# type: socket_filter
# mode: untrusted
# expect: reject
# error: invalid read from stack R10 off=-8 size=8
r0 = *(u64 *)(r10 -8)
exit
